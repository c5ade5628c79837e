"""Eval runs started from the web: the packaged suites, past run folders, one background run at a time."""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import evals
from evals.runner import run_suite
from evals.suite import Mode, Suite
from settings import Settings

log = logging.getLogger(__name__)

SUITES_DIR = Path(evals.__file__).parent / "suites"
_RUN_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass
class EvalJob:
    id: str
    suite: str
    mode: str
    folder: Path
    status: str = "queued"  # queued | running | done | failed
    error: str | None = None
    summary: dict[str, Any] | None = None
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "suite": self.suite, "mode": self.mode, "status": self.status, "error": self.error,
                "run": self.folder.name, "started_at": self.started_at, "summary": _brief(self.summary)}


def _brief(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The headline figures of a summary (the whole file is in the run folder)."""
    if summary is None:
        return None
    keys = ("suite", "mode", "cases", "failed_cases", "run_seconds", "gates_passed", "recall_at_1", "recall_at_5",
            "recall_at_10", "mrr", "ndcg_at_10", "correct_refusal_rate", "false_refusal_rate", "citation_precision",
            "faithfulness", "latency_total_p50_s")
    return {k: summary[k] for k in keys if summary.get(k) is not None}


class EvalJobs:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.data_dir / "evals"
        self._jobs: dict[str, EvalJob] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eval")  # runs queue, never overlap
        self._lock = threading.Lock()

    def suites(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for path in sorted(SUITES_DIR.glob("*.yaml")):
            try:
                suite = Suite.load(path)
            except ValueError as err:  # a broken suite is listed with its error, not hidden
                found.append({"name": path.stem, "error": str(err)})
                continue
            found.append({"name": path.stem, "title": suite.name, "description": suite.description,
                          "mode": suite.mode.value, "gates": [str(g) for g in suite.gates]})
        return found

    def reports(self) -> list[dict[str, Any]]:
        """Past run folders under ``<data_dir>/evals``, newest first."""
        runs = []
        for summary_file in self.root.glob("*/summary.json"):
            try:
                summary = json.loads(summary_file.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as err:
                log.warning("unreadable eval summary %s: %s", summary_file, err)
                continue
            folder = summary_file.parent
            runs.append({"run": folder.name, "has_report": (folder / "report.html").exists(),
                         "started_at": summary.get("started_at"), **(_brief(summary) or {})})
        return sorted(runs, key=lambda r: str(r.get("started_at") or ""), reverse=True)

    def run_folder(self, run: str) -> Path:
        if not _RUN_NAME.match(run) or not (self.root / run / "summary.json").exists():
            raise FileNotFoundError(f"no eval run {run!r}; list them with GET /api/evals/reports")
        return self.root / run

    def start(self, suite_name: str, retrieval_only: bool = True, limit: int | None = None) -> EvalJob:
        path = SUITES_DIR / f"{suite_name}.yaml"
        if not _RUN_NAME.match(suite_name) or not path.exists():
            names = ", ".join(p.stem for p in sorted(SUITES_DIR.glob("*.yaml")))
            raise ValueError(f"unknown suite {suite_name!r}; the suites are: {names}")
        suite = Suite.load(path).with_overrides(limit=limit)
        if retrieval_only and suite.mode is Mode.ANSWER:
            suite, _ = suite.retrieval_only()
        job_id = uuid.uuid4().hex[:12]
        folder = self.root / f"{suite_name}-web-{datetime.now():%Y%m%d-%H%M%S}-{job_id[:4]}"
        job = EvalJob(job_id, suite_name, suite.mode.value, folder)
        with self._lock:
            self._jobs[job_id] = job
        self._pool.submit(self._run, job, suite)
        return job

    def _run(self, job: EvalJob, suite: Suite) -> None:
        job.status = "running"
        try:
            result = run_suite(self.settings, replace(suite), out=job.folder)
        except Exception as err:  # the job reports it; the server keeps serving
            log.exception("eval run %s (%s) failed", job.id, job.suite)
            job.status, job.error = "failed", f"{type(err).__name__}: {err}"
            return
        job.summary, job.status = result.summary, "done"

    def job(self, job_id: str) -> EvalJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(f"no eval job {job_id!r}")
        return job

"""Run a suite's cases through the same retriever and answerer the app uses, or through a running
server's HTTP API; score them, judge the gates and write the run folder.

The run folder holds ``results.jsonl`` (one line a case), ``summary.json`` (every metric, the gates),
``report.html`` and ``junit.xml``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from agent.dialogue.conversation import Conversation
from agent.employee import build_answerer, knowledge_base
from agent.llm import ChatLLM
from agent.policy.personal_data import mask_for_staff
from agent.prompting import load_prompt, render
from evals.cases import Case, load_cases
from evals.judge import LlmJudge
from evals.metrics import Supports, sentence_supported
from evals.remote import RemoteAnswerer
from evals.scoring import answer_metrics, by_tag, case_failures, retrieval_metrics, summarise
from evals.suite import GateResult, Mode, Suite, evaluate_gates
from settings import Settings

log = logging.getLogger(__name__)

RETRIEVED_KEPT = 10
ProgressFn = Callable[[str, int, int], None]


@dataclass
class Collected:
    """What one case produced before scoring."""

    retrieved: list[dict[str, Any]]
    timings: dict[str, float]
    reply: dict[str, Any] | None = None
    cited: dict[int, str] = field(default_factory=dict)  # citation number -> the text it points at
    shown: list[str] = field(default_factory=list)  # document texts the case saw (their personal data is no leak)


def _cited_text(citation: dict[str, Any], text: str) -> str:
    """What a citation shows the customer: its label (document title > section) and the passage."""
    label = " > ".join(str(p) for p in (citation.get("document_title"), citation.get("section")) if p)
    return f"{label}\n{text}" if label else text


class Target(Protocol):
    def collect(self, case: Case, mode: Mode) -> Collected: ...


class InProcessTarget:
    """The app's own conversation, answerer and retriever over a knowledge base in this process."""

    def __init__(self, settings: Settings, progress: ProgressFn | None = None, start_llm: bool = False) -> None:
        self.answerer = build_answerer(settings, progress)
        self._chunk_texts: dict[str, str] | None = None
        if start_llm:  # now, so that starting the model is not counted as the first case's latency
            self.answerer.llm.client()

    def chunk_text(self, chunk_id: str, fallback: str) -> str:
        if self._chunk_texts is None:
            self._chunk_texts = {c.id: c.text for c in self.answerer.retriever.kb.snapshot().chunks}
        return self._chunk_texts.get(chunk_id, fallback)

    def collect(self, case: Case, mode: Mode) -> Collected:
        started = time.perf_counter()
        evidence = self.answerer.retriever.run(case.question, RETRIEVED_KEPT, self.answerer.filters)
        seconds = time.perf_counter() - started
        retrieved = [
            {"rank": e.rank, "title": e.document.title, "section": e.chunk.section(), "score": round(e.score, 5),
             "dense_score": round(e.dense_score or 0.0, 4), "text": e.chunk.text}
            for e in evidence
        ]
        if mode is Mode.RETRIEVAL:
            return Collected(retrieved, {"retrieve": round(seconds, 4)})
        # Through a Conversation, as the app answers a customer's first message (routing, hand-offs, small
        # talk), a fresh one per case; no audit log.
        reply = Conversation(self.answerer).send(case.question)
        reply_dict = reply.to_dict()
        for citation in reply_dict["citations"]:
            citation["text"] = self.chunk_text(citation["chunk_id"], citation["quote"])
        cited = {c["n"]: _cited_text(c, c["text"]) for c in reply_dict["citations"]}
        timings = {k: round(v, 4) for k, v in reply.timings.items()}
        shown = [*cited.values(), *(str(r["text"]) for r in retrieved)]
        return Collected(retrieved, timings, reply_dict, cited, shown)


class HttpTarget:
    """A running server's ``POST /api/ask``; what it retrieved is known only through its citations."""

    def __init__(self, url: str) -> None:
        self.remote = RemoteAnswerer(url)
        self.backend = self.remote.health().get("llm")

    def collect(self, case: Case, mode: Mode) -> Collected:
        reply, seconds = self.remote.ask(case.question)
        citations = reply.get("citations") or []
        retrieved = [{"rank": i, "title": c.get("document_title", ""), "section": c.get("section", ""),
                      "score": None, "text": c.get("quote", "")} for i, c in enumerate(citations, 1)]
        cited = {int(c["n"]): _cited_text(c, str(c.get("quote", ""))) for c in citations}
        timings = {k: round(float(v), 4) for k, v in (reply.get("timings") or {}).items()}
        timings["http"] = round(seconds, 4)
        return Collected(retrieved, timings, reply, cited, list(cited.values()))


@dataclass(frozen=True)
class RunResult:
    summary: dict[str, Any]
    results: list[dict[str, Any]]
    gates: list[GateResult]
    out: Path | None

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)


def system_prompts(settings: Settings) -> list[str]:
    """The system prompt of each language as the model sees it: what must never reach a customer."""
    return [render(load_prompt("answer", lang)["system"], institution=settings.institution,
                   assistant=settings.assistant_name) for lang in ("zh", "en")]


def score(case: Case, collected: Collected, prompts: list[str],
          supports: Supports = sentence_supported) -> dict[str, Any]:
    """One line of results.jsonl; ``supports`` judges faithfulness (the lexical rule by default)."""
    result: dict[str, Any] = {
        "id": case.id, "question": case.question, "language": case.language, "tags": list(case.tags),
        "must_refuse": case.must_refuse, "reference_answer": case.reference_answer, "evidence": list(case.evidence),
        "retrieved": collected.retrieved, "timings": collected.timings,
        "metrics": retrieval_metrics(case, [r["text"] for r in collected.retrieved]),
    }
    ranks = set(result["metrics"]["relevant_ranks"])
    for item in collected.retrieved:
        item["relevant"] = item["rank"] in ranks
    if collected.reply is not None:
        reply = collected.reply
        result.update(answer=reply.get("text", ""), refused=bool(reply.get("refused")),
                      refusal_reason=reply.get("refusal_reason"), intent=reply.get("intent"),
                      answered_by=reply.get("answered_by"), handoff=reply.get("handoff"),
                      citations=reply.get("citations") or [])
        result["metrics"].update(answer_metrics(case, reply, collected.cited, collected.shown, prompts, supports))
    result["failures"] = case_failures(result)
    return result


def _index(settings: Settings, corpus: Path, progress: ProgressFn | None) -> tuple[Settings, dict[str, Any]]:
    """Settings naming the eval knowledge base of ``corpus``, brought up to date (unchanged files skipped)."""
    key = hashlib.sha1(str(corpus.resolve()).encode()).hexdigest()[:10]
    settings = settings.model_copy(update={"kb_source": corpus, "kb_name": f"eval-{key}"})
    report = knowledge_base(settings).ingest([corpus], progress)
    for path, error in report.failed:
        log.warning("corpus file not indexed: %s: %s", path, error)
    return settings, {"kb": str(settings.kb_dir), "chunks": report.chunks, "added": len(report.added),
                      "updated": len(report.updated), "unchanged": len(report.unchanged),
                      "failed": [f"{p}: {e}" for p, e in report.failed], "seconds": round(report.seconds, 2)}


def run_suite(settings: Settings, suite: Suite, url: str | None = None, out: Path | None = None,
              progress: ProgressFn | None = None) -> RunResult:
    """Run ``suite`` end to end; ``url`` sends the questions to a running server instead."""
    started, started_at = time.perf_counter(), datetime.now(timezone.utc).isoformat(timespec="seconds")
    if url and suite.mode is Mode.RETRIEVAL:
        raise ValueError("retrieval mode needs the in-process retriever; --url measures a server's answers "
                         "(use answer mode, or drop --url)")
    cases = load_cases(suite.cases, suite.limit)
    index: dict[str, Any] | None = None
    if url:
        target: Target = HttpTarget(url)
    else:
        if suite.corpus is not None:
            settings, index = _index(settings, suite.corpus, progress)
        target = InProcessTarget(settings, progress, start_llm=suite.mode is Mode.ANSWER)
    ready = time.perf_counter()
    prompts = system_prompts(settings)
    judge = _judge(suite, settings, target)
    results = [score(case, target.collect(case, suite.mode), prompts, judge or sentence_supported)
               for case in _bar(cases, suite.name)]
    finished = time.perf_counter()

    summary: dict[str, Any] = {
        "suite": suite.name, "description": suite.description, "mode": suite.mode.value,
        "cases_file": str(suite.cases), "corpus": str(suite.corpus) if suite.corpus else None, "url": url,
        "limit": suite.limit, "started_at": started_at,
        **summarise(results, suite.mode),
        "failed_cases": sum(bool(r["failures"]) for r in results),
        "index_seconds": round(ready - started, 2), "cases_seconds": round(finished - ready, 2),
        "run_seconds": round(finished - started, 2),
        "index": index, "config": _config(settings, url, target), "shown_metrics": list(suite.metrics),
        "by_tag": by_tag(results, suite.mode),
        "judge": judge.stats.to_dict() if judge else {"kind": "lexical"},
    }
    gates = evaluate_gates(suite.gates, summary)
    summary["gates"] = [g.to_dict() for g in gates]
    summary["gates_passed"] = all(g.passed for g in gates)
    if out is not None:
        write_run(out, summary, results)
    return RunResult(summary, results, gates, out)


def _judge(suite: Suite, settings: Settings, target: Target) -> LlmJudge | None:
    if suite.judge != "llm" or suite.mode is not Mode.ANSWER:
        return None
    llm = target.answerer.llm if isinstance(target, InProcessTarget) else ChatLLM(settings)
    return LlmJudge(llm)


def _bar(cases: list[Case], name: str) -> Iterator[Case]:
    yield from tqdm(cases, desc=name, unit="case", file=sys.stderr, leave=False, mininterval=1.0)


def _config(settings: Settings, url: str | None, target: Target) -> dict[str, Any]:
    if url:
        return {"url": url, "llm": getattr(target, "backend", None)}
    keys = ("kb_name", "llm_model", "llm_base_url", "answer_evidence", "candidates", "dense_weight", "rrf_k",
            "reranker_path", "rerank_depth", "min_dense_score")
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.model_dump().items() if k in keys}


def write_run(out: Path, summary: dict[str, Any], results: list[dict[str, Any]]) -> None:
    """Write results.jsonl, summary.json, report.html and junit.xml into ``out``. Personal data in any
    text (a red-team question's card number, a leak the metrics found) is masked first, keeping its last
    digits so QA can tell which one: a run folder is shared and archived like any report."""
    from evals.junit import write_junit
    from evals.report import write_report

    results = [_masked(result) for result in results]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as f:
        for result in results:
            f.write(json.dumps(result, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    write_report(out / "report.html", summary, results)
    write_junit(out / "junit.xml", summary, results)



def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_for_staff(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value

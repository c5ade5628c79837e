"""Compare two run folders: every summary metric side by side, and the cases whose outcome flipped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.scoring import CHECK_TOP
from evals.suite import metric_info


@dataclass(frozen=True)
class MetricRow:
    name: str
    a: float | None
    b: float | None

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else round(self.b - self.a, 4)

    @property
    def verdict(self) -> str:
        """better / worse for a metric with a direction, '' when unchanged or it has none."""
        info = metric_info(self.name)
        if info is None or not self.delta:
            return ""
        return "better" if (self.delta > 0) == info.higher_is_better else "worse"


@dataclass(frozen=True)
class Flip:
    case_id: str
    question: str
    what: str  # e.g. "relevant in top 5: yes -> no"


@dataclass(frozen=True)
class Comparison:
    a: Path
    b: Path
    rows: tuple[MetricRow, ...]
    flips: tuple[Flip, ...]
    only_in_a: int
    only_in_b: int
    config_changes: tuple[tuple[str, Any, Any], ...] = ()  # settings that differ: (name, in A, in B)


def load_run(folder: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    summary_path, results_path = folder / "summary.json", folder / "results.jsonl"
    if not summary_path.is_file():
        raise ValueError(f"{folder} is not a run folder: it has no summary.json (made by `digital-employee eval run`)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    results: dict[str, dict[str, Any]] = {}
    if results_path.is_file():
        with open(results_path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    results[str(r["id"])] = r
    return summary, results


def _numbers(summary: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in summary.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and k != "limit"}


def _in_top(result: dict[str, Any]) -> bool | None:
    if not result.get("evidence") or result.get("must_refuse"):
        return None
    rank = (result.get("metrics") or {}).get("first_relevant_rank")
    return rank is not None and rank <= CHECK_TOP


def compare_runs(a: Path, b: Path) -> Comparison:
    summary_a, results_a = load_run(a)
    summary_b, results_b = load_run(b)
    numbers_a, numbers_b = _numbers(summary_a), _numbers(summary_b)
    names = list(numbers_a) + [k for k in numbers_b if k not in numbers_a]
    rows = tuple(MetricRow(k, numbers_a.get(k), numbers_b.get(k)) for k in names)
    flips = []
    for case_id, ra in results_a.items():
        rb = results_b.get(case_id)
        if rb is None:
            continue
        yes = {True: "yes", False: "no"}
        top_a, top_b = _in_top(ra), _in_top(rb)
        if top_a is not None and top_b is not None and top_a != top_b:
            flips.append(Flip(case_id, ra["question"], f"relevant in top {CHECK_TOP}: {yes[top_a]} -> {yes[top_b]}"))
        if "refused" in ra and "refused" in rb and bool(ra["refused"]) != bool(rb["refused"]):
            what = f"refused: {yes[bool(ra['refused'])]} -> {yes[bool(rb['refused'])]}"
            flips.append(Flip(case_id, ra["question"], what + (" (must refuse)" if ra.get("must_refuse") else "")))
    config_a, config_b = summary_a.get("config") or {}, summary_b.get("config") or {}
    changes = tuple((k, config_a.get(k), config_b.get(k)) for k in dict.fromkeys([*config_a, *config_b])
                    if config_a.get(k) != config_b.get(k) and k != "kb_name")
    return Comparison(a, b, rows, tuple(flips), len(set(results_a) - set(results_b)),
                      len(set(results_b) - set(results_a)), changes)


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"


def format_comparison(c: Comparison) -> str:
    width = max([len(r.name) for r in c.rows] + [6])
    lines = [f"A: {c.a}", f"B: {c.b}"]
    lines += [f"setting {name}: {a} -> {b}" for name, a, b in c.config_changes]
    lines += ["",
             f"{'metric':<{width}}  {'A':>10}  {'B':>10}  {'delta':>10}",
             "-" * (width + 36)]
    for r in c.rows:
        delta = "–" if r.delta is None else f"{r.delta:+.4g}"
        lines.append(f"{r.name:<{width}}  {_cell(r.a):>10}  {_cell(r.b):>10}  {delta:>10}  {r.verdict}".rstrip())
    lines += ["", f"cases that flipped: {len(c.flips)}"]
    for flip in c.flips:
        question = flip.question if len(flip.question) <= 60 else flip.question[:60] + "…"
        lines.append(f"  {flip.case_id}: {flip.what}  | {question}")
    if c.only_in_a or c.only_in_b:
        lines.append(f"cases only in A: {c.only_in_a}; only in B: {c.only_in_b}")
    return "\n".join(lines)

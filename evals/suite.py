"""Eval suites: one YAML file names the corpus, the cases, the mode, the metrics and the release gates.

```yaml
name: insurance_clauses_smoke
corpus: ../../../shared/datasets/insurance_clauses/passages.jsonl   # relative to this file
cases: ../../../shared/datasets/insurance_clauses/dev_cases.jsonl
mode: retrieval                  # retrieval | answer
limit: 60                        # the first N cases (optional)
judge: lexical                   # faithfulness judge: lexical | llm (optional)
metrics: [recall_at_5, mrr]
gates: ["recall_at_5 >= 0.6"]
```

Paths may use ``${VARIABLE}`` (from the environment); ``demo`` names the built-in demo documents or
questions.
"""

from __future__ import annotations

import difflib
import operator
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from knowledge.demo import demo_documents, demo_questions


class Mode(str, Enum):
    RETRIEVAL = "retrieval"
    ANSWER = "answer"

    @classmethod
    def from_str(cls, value: str) -> Mode:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(f"mode must be one of {', '.join(m.value for m in cls)}, not {value!r}") from None


@dataclass(frozen=True)
class MetricInfo:
    description: str
    mode: Mode  # the least a run must do to measure it
    higher_is_better: bool = True


METRICS: dict[str, MetricInfo] = {
    "recall_at_1": MetricInfo("answerable cases with a relevant chunk ranked first", Mode.RETRIEVAL),
    "recall_at_5": MetricInfo("answerable cases with a relevant chunk in the top 5", Mode.RETRIEVAL),
    "recall_at_10": MetricInfo("answerable cases with a relevant chunk in the top 10", Mode.RETRIEVAL),
    "mrr": MetricInfo("mean reciprocal rank of the first relevant chunk (top 10)", Mode.RETRIEVAL),
    "ndcg_at_10": MetricInfo("binary-gain nDCG of the top 10 against the gold spans", Mode.RETRIEVAL),
    "correct_refusal_rate": MetricInfo("must-refuse cases that were refused", Mode.ANSWER),
    "false_refusal_rate": MetricInfo("answerable cases that were refused", Mode.ANSWER, False),
    "citation_hit_rate": MetricInfo("answerable cases citing a passage that holds the gold evidence", Mode.ANSWER),
    "citation_precision": MetricInfo("citations of answered cases whose text holds gold evidence", Mode.ANSWER),
    "key_fact_recall": MetricInfo("numbers, dates, amounts and named terms of the reference stated", Mode.ANSWER),
    "faithfulness": MetricInfo("answer sentences supported by the text they cite", Mode.ANSWER),
    "system_prompt_leak_rate": MetricInfo("replies repeating a long run of the system prompt", Mode.ANSWER, False),
    "personal_data_leak_rate": MetricInfo("replies with personal data the question did not hold", Mode.ANSWER, False),
    "injection_resistance": MetricInfo("attack cases whose reply holds none of their must_not_contain", Mode.ANSWER),
}
LATENCY_STAGES = ("retrieve", "first_token", "generate", "total", "http")
_LATENCY = re.compile(rf"^latency_({'|'.join(LATENCY_STAGES)})_p(50|95)_s$")


def metric_info(name: str) -> MetricInfo | None:
    """What a metric means, or None for a name no run produces."""
    if name in METRICS:
        return METRICS[name]
    latency = _LATENCY.match(name)
    if latency:
        stage = latency.group(1)
        mode = Mode.RETRIEVAL if stage == "retrieve" else Mode.ANSWER
        return MetricInfo(f"{latency.group(2)}th percentile of the {stage} stage, seconds", mode, False)
    return None


def _unknown_metric(name: str, where: str) -> ValueError:
    known = [*METRICS, *(f"latency_{s}_p{q}_s" for s in LATENCY_STAGES for q in (50, 95))]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ValueError(f"{where}: unknown metric {name!r}{hint} Known metrics: {', '.join(known)}")


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}
_GATE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*([-+]?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Gate:
    metric: str
    op: str
    threshold: float

    @classmethod
    def parse(cls, text: str, where: str = "gate") -> Gate:
        match = _GATE.match(str(text))
        if not match:
            raise ValueError(f"{where}: cannot read gate {text!r}: write '<metric> <op> <number>' with op one of "
                             f"{' '.join(_OPS)}, e.g. 'recall_at_5 >= 0.85'")
        metric, op, threshold = match.groups()
        if metric_info(metric) is None:
            raise _unknown_metric(metric, f"{where} {text!r}")
        return cls(metric, op, float(threshold))

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    value: float | None  # None: the run did not measure the metric (wrong mode, no such cases)
    passed: bool

    @property
    def message(self) -> str:
        if self.value is None:
            return f"{self.gate}: FAILED, {self.gate.metric} was not measured in this run"
        verdict = "passed" if self.passed else "FAILED"
        return f"{self.gate}: {verdict} ({self.gate.metric} = {self.value:.4g})"

    def to_dict(self) -> dict[str, Any]:
        return {"gate": str(self.gate), "metric": self.gate.metric, "op": self.gate.op,
                "threshold": self.gate.threshold, "value": self.value, "passed": self.passed,
                "message": self.message}


def evaluate_gates(gates: tuple[Gate, ...] | list[Gate], summary: Mapping[str, Any]) -> list[GateResult]:
    """Each gate judged against a run's summary; a metric the run did not measure fails its gate."""
    results = []
    for gate in gates:
        value = summary.get(gate.metric)
        if not isinstance(value, int | float) or isinstance(value, bool):
            results.append(GateResult(gate, None, False))
            continue
        results.append(GateResult(gate, float(value), _OPS[gate.op](float(value), gate.threshold)))
    return results


_FIELDS = ("name", "description", "corpus", "cases", "mode", "limit", "metrics", "gates", "judge")
JUDGES = ("lexical", "llm")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Suite:
    name: str
    cases: Path
    corpus: Path | None = None  # None: the knowledge base the settings name
    mode: Mode = Mode.ANSWER
    limit: int | None = None
    metrics: tuple[str, ...] = ()
    gates: tuple[Gate, ...] = ()
    description: str = ""
    judge: str = "lexical"  # faithfulness judge: the lexical rule, or the local LLM (evals.judge)
    source: Path | None = None  # the YAML file it came from

    @classmethod
    def load(cls, path: Path) -> Suite:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"suite file not found: {path}") from None
        except yaml.YAMLError as err:
            raise ValueError(f"{path}: not valid YAML ({err})") from None
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: a suite is a YAML mapping with the fields {', '.join(_FIELDS)}")
        return cls.from_dict(raw, path)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], path: Path) -> Suite:
        where = str(path)
        unknown = sorted(set(raw) - set(_FIELDS))
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)}; a suite has {', '.join(_FIELDS)}")
        for required in ("name", "cases"):
            if not raw.get(required):
                raise ValueError(f"{where}: the field {required!r} is required")
        try:
            mode = Mode.from_str(raw.get("mode", "answer"))
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        limit = raw.get("limit")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            raise ValueError(f"{where}: limit must be a positive whole number, not {limit!r}")
        metrics = tuple(_string_list(raw.get("metrics"), "metrics", where))
        for metric in metrics:
            if metric_info(metric) is None:
                raise _unknown_metric(metric, f"{where}: metrics")
        gates = tuple(Gate.parse(g, f"{where}: gate") for g in _string_list(raw.get("gates"), "gates", where))
        judge = str(raw.get("judge", "lexical"))
        if judge not in JUDGES:
            raise ValueError(f"{where}: judge must be one of {', '.join(JUDGES)}, not {judge!r}")
        suite = cls(
            name=str(raw["name"]), description=str(raw.get("description") or "").strip(),
            cases=_resolve(raw["cases"], path, "cases", demo_questions),
            corpus=_resolve(raw["corpus"], path, "corpus", demo_documents) if raw.get("corpus") else None,
            mode=mode, limit=limit, metrics=metrics, gates=gates, judge=judge, source=path,
        )
        suite.check_gates_measurable(where)
        return suite

    def check_gates_measurable(self, where: str = "suite") -> None:
        for gate in self.gates:
            info = metric_info(gate.metric)
            if info is not None and info.mode is Mode.ANSWER and self.mode is Mode.RETRIEVAL:
                raise ValueError(f"{where}: gate '{gate}' needs answer mode, but the suite's mode is retrieval")

    def retrieval_only(self) -> tuple[Suite, list[Gate]]:
        """This suite in retrieval mode, without the gates only answer mode can judge (returned)."""
        dropped = [g for g in self.gates if (info := metric_info(g.metric)) and info.mode is Mode.ANSWER]
        kept = tuple(g for g in self.gates if g not in dropped)
        return replace(self, mode=Mode.RETRIEVAL, gates=kept), dropped

    def with_overrides(self, **changes: Any) -> Suite:
        """A copy with the options given on the command line (those that are not None) applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _string_list(value: Any, name: str, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {name} must be a list of strings")
    return value


def _resolve(value: Any, suite_file: Path, name: str, demo: Callable[[], Path]) -> Path:
    text = str(value).strip()
    if text == "demo":
        return demo()

    def variable(match: re.Match[str]) -> str:
        if match.group(1) not in os.environ:
            raise ValueError(f"{suite_file}: {name} uses ${{{match.group(1)}}}, which is not set in the environment")
        return os.environ[match.group(1)]

    path = Path(_VARIABLE.sub(variable, text)).expanduser()
    if not path.is_absolute():
        path = suite_file.parent / path
    path = Path(os.path.normpath(path))
    if not path.exists():
        raise ValueError(f"{suite_file}: {name} not found: {path} (relative paths start at the suite file's folder)")
    return path


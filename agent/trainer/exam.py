"""Exam mode: the LLM answers an imported question bank, with or without retrieved evidence.

The model is asked for a letter; its reply is read by :func:`parse_choice` and generation stops as soon
as the reply commits to one (a 1.5B model on 2 cores should not spend seconds explaining itself).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agent.llm import ChatLLM
from agent.prompting import load_prompt, render
from agent.trainer.bank import ExamQuestion
from agent.trainer.choice import parse_choice
from knowledge import HybridRetriever

EVIDENCE = 3
_MAX_REPLY_CHARS = 40


@dataclass(frozen=True)
class ExamResult:
    id: str
    subject: str
    answer: str
    predicted: str | None
    correct: bool
    reply: str
    evidence: tuple[str, ...]  # citation labels of the chunks shown
    seconds: float


def answer_question(llm: ChatLLM, question: ExamQuestion,
                    retriever: HybridRetriever | None = None) -> ExamResult:
    prompt = load_prompt("trainer_exam", "zh")
    clip = int(prompt["clip"])
    started = time.perf_counter()
    found = retriever.run(question.question + " " + " ".join(question.options), EVIDENCE) if retriever else []
    evidence = [{"n": i, "title": e.document.title, "section": e.chunk.section(), "text": e.chunk.text[:clip]}
                for i, e in enumerate(found, 1)]
    system = render(prompt["system"], evidence=evidence)
    user = render(prompt["user"], evidence=evidence, question=question.question, options=question.options)
    reply = ""
    for piece in llm.stream(system, user):
        reply += piece
        if len(reply) >= _MAX_REPLY_CHARS or (parse_choice(reply) and len(reply.strip()) >= 4):
            break
    predicted = parse_choice(reply, question.options)
    return ExamResult(question.id, question.subject, question.answer, predicted, predicted == question.answer,
                      reply.strip(), tuple(e.citation_label() for e in found), round(time.perf_counter() - started, 2))


def summarize(results: list[ExamResult], **extra: Any) -> dict[str, Any]:
    by_subject: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        by_subject[r.subject].append(r.correct)
    n = len(results)
    return {
        "questions": n,
        "correct": sum(r.correct for r in results),
        "accuracy": sum(r.correct for r in results) / n if n else 0.0,
        "unparsed": sum(r.predicted is None for r in results),
        "by_subject": {s: {"questions": len(v), "accuracy": sum(v) / len(v)} for s, v in sorted(by_subject.items())},
        "seconds_per_question": sum(r.seconds for r in results) / n if n else 0.0,
        **extra,
    }


def run_exam(llm: ChatLLM, questions: list[ExamQuestion], out: Path, retriever: HybridRetriever | None = None,
             progress: Callable[[int, int], None] | None = None, **extra: Any) -> dict[str, Any]:
    """Answer every question; write ``results.jsonl`` (as it goes) and ``summary.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    results: list[ExamResult] = []
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for i, question in enumerate(questions, 1):
            result = answer_question(llm, question, retriever)
            results.append(result)
            f.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
            f.flush()
            if progress:
                progress(i, len(questions))
    summary = summarize(results, retrieval=retriever is not None, **extra)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def format_table(summary: dict[str, Any]) -> str:
    lines = [f"{'subject':58} {'n':>4} {'accuracy':>9}"]
    for subject, row in summary["by_subject"].items():
        lines.append(f"{subject:58} {row['questions']:>4} {row['accuracy']:>9.1%}")
    lines.append(f"{'overall':58} {summary['questions']:>4} {summary['accuracy']:>9.1%}")
    return "\n".join(lines)

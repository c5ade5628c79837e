"""Virtual trainer figures: exam accuracy with and without retrieval, quiz key support, grader agreement.

    python benchmarks/trainer.py                       # everything: 85 exam questions x 2, quizzes, grader
    python benchmarks/trainer.py --limit 27 --quiz-n 4 # a subset on a busy box (report N)
    python benchmarks/trainer.py --skip-exam --skip-quiz  # the grader only (no LLM, a second)

Exam: ../shared/datasets/staff_exam_fineval/dev (9 subject files), answered by the configured LLM with
no evidence, then with the top 3 chunks retrieved from ../shared/datasets/cn_finance_laws (indexed once
under the data dir). ``--limit N`` takes N questions round-robin over the subjects, the same N in both runs.
Quiz: for each demo product, ``--quiz-n`` items drafted from its focus clauses; the share whose key the
cited clause supports (the rest are discarded by the check). Grader: evals/datasets/trainer_grading.jsonl,
staff answers labelled correct or not by hand; agreement of the rule grader (and ``--llm-judge``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "datasets"
GRADING = ROOT / "evals" / "datasets" / "trainer_grading.jsonl"
QUIZ_TOPICS = ("medical", "term-life", "time-deposit", "credit-card")


def stratified(questions: list[Any], limit: int | None) -> list[Any]:
    """Round-robin over subjects so a subset still covers every subject."""
    by_subject: dict[str, list[Any]] = {}
    for q in questions:
        by_subject.setdefault(q.subject, []).append(q)
    ordered = [q for group in zip_longest(*by_subject.values()) for q in group if q is not None]
    return ordered[:limit] if limit else ordered


def exam(settings: Any, limit: int | None, out: Path) -> dict[str, Any]:
    from agent.trainer.bank import load_banks
    from agent.trainer.exam import format_table, run_exam
    from agent.trainer.trainer import Trainer, corpus_knowledge_base

    questions = stratified(list(load_banks(SHARED / "staff_exam_fineval" / "dev")), limit)
    started = time.perf_counter()
    kb = corpus_knowledge_base(settings, SHARED / "cn_finance_laws")
    print(f"laws knowledge base ready ({len(kb.snapshot().chunks)} chunks, {time.perf_counter() - started:.0f} s)")
    trainer = Trainer(settings, kb=kb)
    results = {}
    for name, retriever in (("no_retrieval", None), ("retrieval", trainer.retriever)):
        t0 = time.perf_counter()
        summary = run_exam(trainer.llm, questions, out / f"exam-{name}", retriever)
        print(f"\nexam {name}: N={summary['questions']}, {time.perf_counter() - t0:.0f} s")
        print(format_table(summary))
        results[name] = summary
    return results


def quiz(settings: Any, n: int) -> dict[str, Any]:
    from agent.trainer.trainer import Trainer

    trainer = Trainer(settings)
    kept = generated = 0
    discarded: dict[str, int] = {}
    for topic in QUIZ_TOPICS:
        t0 = time.perf_counter()
        result = trainer.quiz(topic, n, open_every=3)
        kept += len(result.items)
        generated += result.generated
        for reason, count in result.discarded.items():
            discarded[reason] = discarded.get(reason, 0) + count
        print(f"quiz {topic}: {len(result.items)}/{result.generated} kept, discarded {result.discarded} "
              f"({time.perf_counter() - t0:.0f} s)")
    share = kept / generated if generated else 0.0
    print(f"quiz: {kept}/{generated} = {share:.1%} of drafted items have a key the cited clause supports")
    return {"generated": generated, "supported": kept, "supported_share": share, "discarded": discarded}


def grading(settings: Any, llm_judge: bool) -> dict[str, Any]:
    from agent.trainer.grading import grade_open_answer

    llm = None
    if llm_judge:
        from agent.llm import ChatLLM

        llm = ChatLLM(settings)
    rows = [json.loads(line) for line in GRADING.open(encoding="utf-8")]
    result: dict[str, Any] = {}
    for split in sorted({r["split"] for r in rows}):
        subset = [r for r in rows if r["split"] == split]
        agree = 0
        for r in subset:
            grade = grade_open_answer(r["answer"], r["key"], pass_coverage=settings.trainer_pass_coverage,
                                      llm=llm, question=r["question"])
            agree += grade.correct == r["label"]
        result[split] = {"answers": len(subset), "agreement": agree / len(subset)}
        print(f"grader ({'rules + LLM' if llm else 'rules'}), {split}: {agree}/{len(subset)} "
              f"= {agree / len(subset):.1%} agreement with the hand labels")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="exam questions (round-robin over subjects); default all 85")
    parser.add_argument("--quiz-n", type=int, default=5, help="quiz items drafted per demo product")
    parser.add_argument("--skip-exam", action="store_true")
    parser.add_argument("--skip-quiz", action="store_true")
    parser.add_argument("--skip-grading", action="store_true")
    parser.add_argument("--llm-judge", action="store_true", help="grader: let the LLM decide borderline answers")
    parser.add_argument("--out", type=Path, help="where results go (default data/benchmarks/trainer-TIME)")
    args = parser.parse_args()

    from settings import Settings, offline_environment

    offline_environment()
    settings = Settings()
    out = args.out or settings.data_dir / "benchmarks" / f"trainer-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"llm": settings.llm_model if not settings.llm_base_url else settings.llm_base_url}
    if not args.skip_grading:
        figures["grading"] = grading(settings, args.llm_judge)
    if not args.skip_quiz:
        figures["quiz"] = quiz(settings, args.quiz_n)
    if not args.skip_exam:
        figures["exam"] = exam(settings, args.limit, out)
    (out / "figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"figures: {out / 'figures.json'}")


if __name__ == "__main__":
    main()

"""Run eval cases through the same answerer and retriever the app uses; write per-case results."""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agent.employee import build_answerer
from evals.cases import Case, load_cases
from evals.metrics import is_relevant, key_fact_recall, ndcg, relevant_ranks
from knowledge import KnowledgeBase
from knowledge.demo import demo_questions
from settings import Settings

RETRIEVED_KEPT = 10


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def run_case(answerer: Any, case: Case, retrieval_only: bool) -> dict[str, Any]:
    evidence = answerer.retriever.run(case.question, RETRIEVED_KEPT, answerer.filters)
    texts = [e.chunk.text for e in evidence]
    ranks = relevant_ranks(texts, case.evidence) if case.evidence else []
    rank = ranks[0] if ranks else None
    result: dict[str, Any] = {
        "id": case.id,
        "question": case.question,
        "language": case.language,
        "must_refuse": case.must_refuse,
        "tags": list(case.tags),
        "retrieved": [
            {"rank": e.rank, "title": e.document.title, "section": e.chunk.section(), "score": round(e.score, 5),
             "dense_score": round(e.dense_score or 0.0, 4), "text": e.chunk.text}
            for e in evidence
        ],
        "first_relevant_rank": rank,
        "relevant_ranks": ranks,
        "ndcg_at_10": round(ndcg(ranks, len(case.evidence)), 4) if case.evidence else None,
    }
    if retrieval_only:
        return result
    reply = answerer.run(case.question)
    cited_texts = [next((e.chunk.text for e in evidence if e.chunk.id == c.chunk_id), c.quote)
                   for c in reply.citations]
    result.update(
        answer=reply.text,
        refused=reply.refused,
        refusal_reason=reply.refusal_reason,
        intent=reply.intent.value,
        citations=[asdict(c) for c in reply.citations],
        citation_hit=any(is_relevant(t, case.evidence) for t in cited_texts) if case.evidence else None,
        key_fact_recall=key_fact_recall(reply.text, case.reference_answer or "") if not reply.refused else None,
        timings=reply.timings,
    )
    return result


def summarise(results: list[dict[str, Any]], retrieval_only: bool) -> dict[str, Any]:
    answerable = [r for r in results if not r["must_refuse"]]
    ranks = [r["first_relevant_rank"] for r in answerable]
    summary: dict[str, Any] = {
        "cases": len(results),
        "answerable": len(answerable),
        "recall_at_1": _mean([1.0 if k is not None and k <= 1 else 0.0 for k in ranks]),
        "recall_at_5": _mean([1.0 if k is not None and k <= 5 else 0.0 for k in ranks]),
        "recall_at_10": _mean([1.0 if k is not None and k <= 10 else 0.0 for k in ranks]),
        "mrr": _mean([1.0 / k if k else 0.0 for k in ranks]),
        "ndcg_at_10": _mean([r["ndcg_at_10"] for r in answerable if r["ndcg_at_10"] is not None]),
    }
    if retrieval_only:
        return summary
    must_refuse = [r for r in results if r["must_refuse"]]
    answered = [r for r in answerable if not r["refused"]]
    totals = [r["timings"]["total"] for r in results if "total" in r["timings"]]
    first_tokens = [r["timings"]["first_token"] for r in results if "first_token" in r["timings"]]
    summary.update(
        correct_refusal_rate=_mean([1.0 if r["refused"] else 0.0 for r in must_refuse]),
        false_refusal_rate=_mean([1.0 if r["refused"] else 0.0 for r in answerable]),
        citation_hit_rate=_mean([1.0 if r["citation_hit"] else 0.0 for r in answerable]),
        key_fact_recall=_mean([r["key_fact_recall"] for r in answered if r["key_fact_recall"] is not None]),
        latency_total_p50_s=_percentile(totals, 50),
        latency_total_p95_s=_percentile(totals, 95),
        first_token_p50_s=_percentile(first_tokens, 50),
    )
    return summary


def run_cases(settings: Settings, cases: Path | None = None, corpus: Path | None = None,
              retrieval_only: bool = False, limit: int | None = None, out: Path | None = None) -> dict[str, Any]:
    """Score ``cases`` (the demo questions by default) against ``corpus`` (the configured KB by default)."""
    if corpus is not None:
        key = hashlib.sha1(str(corpus.resolve()).encode()).hexdigest()[:10]
        settings = settings.model_copy(update={"kb_source": corpus, "kb_name": f"eval-{key}"})
        # incremental: only changed files are re-read
        KnowledgeBase(settings.kb_dir, max_file_bytes=settings.max_file_bytes).ingest([corpus])
    loaded = load_cases(cases or demo_questions(), limit)
    answerer = build_answerer(settings)
    results = [run_case(answerer, case, retrieval_only)
               for case in tqdm(loaded, desc="cases", unit="case", file=sys.stderr, leave=False)]
    summary = summarise(results, retrieval_only)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "results.jsonl", "w", encoding="utf-8") as f:
            for result in results:
                f.write(json.dumps(result, ensure_ascii=False) + "\n")
        (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary

"""Per-stage latency of the answer path over typical demo questions, and decode speed of our path
against llama.cpp's own timings for the same prompt.

    python benchmarks/agent_latency.py                    # 10 demo questions, default model
    python benchmarks/agent_latency.py --n 5 --direct 3 --json data/bench/agent_latency.json

Steps: build the answerer over the demo knowledge base (DE_DATA_DIR / DE_MODELS_DIR as usual), warm
the model and the fixed prompt prefix (timed), then answer each of the first N answerable demo
questions through ``Answerer.stream``, recording the stages the reply reports (guard, retrieve,
first_token, generate, support, total) and the time to the first streamed piece as the customer sees
it (TTFT). The prompts the answerer sent are kept; for the first ``--direct`` of them a non-streamed
request goes straight to the embedded llama.cpp server and its ``timings`` (prompt_ms, prompt_n,
predicted_per_second) are compared with the decode rate seen through our path (streamed pieces per
second after the first). On a shared CPU every figure moves with the load: report the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class RecordingLLM:
    """Passes through to the real model, keeping each prompt and the pieces' arrival times."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.backend = llm.backend
        self.calls: list[dict[str, Any]] = []

    def stream(self, system: str, user: str) -> Iterator[str]:
        call: dict[str, Any] = {"system": system, "user": user, "pieces": 0, "times": []}
        self.calls.append(call)
        started = time.perf_counter()
        for piece in self.llm.stream(system, user):
            call["pieces"] += 1
            call["times"].append(time.perf_counter() - started)
            yield piece

    def warm(self, system: str, user_prefix: str) -> float:
        return float(self.llm.warm(system, user_prefix))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def direct_timings(base_url: str, call: dict[str, Any], settings: Any) -> dict[str, Any]:
    import httpx

    body = {"model": settings.llm_served_model, "temperature": settings.llm_temperature,
            "max_tokens": settings.llm_max_tokens, "stream": False, "cache_prompt": True,
            "messages": [{"role": "system", "content": call["system"]}, {"role": "user", "content": call["user"]}]}
    response = httpx.post(f"{base_url}/chat/completions", json=body, timeout=settings.llm_timeout_s)
    response.raise_for_status()
    return dict(response.json().get("timings") or {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10, help="demo questions to answer (answerable ones, in order)")
    parser.add_argument("--direct", type=int, default=3, help="prompts to re-send straight to llama.cpp")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    from agent.answering.answer import Answerer
    from agent.employee import build_answerer
    from agent.reply import Delta, Final
    from knowledge.demo import demo_questions
    from settings import Settings

    settings = Settings()
    base = build_answerer(settings)
    llm = RecordingLLM(base.llm)
    answerer = Answerer(settings, base.retriever.kb, llm)  # type: ignore[arg-type]
    warm_s = answerer.warm("zh")
    cases = [json.loads(line) for line in demo_questions().open(encoding="utf-8")]
    questions = [c["question"] for c in cases if not c.get("must_refuse")][: args.n]

    rows = []
    for question in questions:
        started, ttft, reply = time.perf_counter(), None, None
        calls_before = len(llm.calls)
        for event in answerer.stream(question):
            if isinstance(event, Delta) and ttft is None:
                ttft = time.perf_counter() - started
            elif isinstance(event, Final):
                reply = event.reply
        assert reply is not None
        call = llm.calls[-1] if len(llm.calls) > calls_before else None
        decode = None
        if call and call["pieces"] > 1:
            decode = (call["pieces"] - 1) / (call["times"][-1] - call["times"][0])
        rows.append({"question": question, "answered_by": reply.answered_by, "refused": reply.refused,
                     "ttft_s": ttft, "timings": reply.timings, "pieces": call["pieces"] if call else 0,
                     "our_decode_pieces_per_s": decode, "call": len(llm.calls) - 1 if call else None})
        print(f"{reply.answered_by:9} ttft {ttft or 0:6.2f}s total {reply.timings.get('total', 0):6.2f}s  "
              f"{' '.join(f'{k}={v:.2f}' for k, v in reply.timings.items())}  {question}", flush=True)

    generated = [r for r in rows if r["answered_by"] == "generated"]
    summary: dict[str, Any] = {
        "load_average": os.getloadavg(), "cpu_count": os.cpu_count(), "backend": llm.backend,
        "warm_s": warm_s, "questions": len(rows), "generated": len(generated),
    }
    ttfts = [r["ttft_s"] for r in rows if r["ttft_s"] is not None]
    gen_ttfts = [r["ttft_s"] for r in generated if r["ttft_s"] is not None]
    totals = [r["timings"]["total"] for r in rows]
    for name, values in (("ttft_all", ttfts), ("ttft_generated", gen_ttfts), ("total_all", totals)):
        if values:
            summary[f"{name}_p50_s"], summary[f"{name}_p95_s"] = percentile(values, 0.5), percentile(values, 0.95)
    for stage in ("guard", "retrieve", "first_token", "generate", "support"):
        values = [r["timings"][stage] for r in generated if stage in r["timings"]]
        if values:
            summary[f"{stage}_p50_s"] = percentile(values, 0.5)

    comparisons = []
    embedded = getattr(base.llm, "_embedded", None)
    if embedded is not None and args.direct:
        base_url = embedded.base_url()
        for r in [r for r in generated if r["call"] is not None][: args.direct]:
            timings = direct_timings(base_url, llm.calls[r["call"]], settings)
            comparisons.append({"question": r["question"], "ours_pieces_per_s": r["our_decode_pieces_per_s"],
                                "llamacpp_predicted_per_second": timings.get("predicted_per_second"),
                                "llamacpp_prompt_ms": timings.get("prompt_ms"),
                                "llamacpp_prompt_n": timings.get("prompt_n"),
                                "llamacpp_cache_n": timings.get("cache_n")})
            print("direct:", json.dumps(comparisons[-1], ensure_ascii=False), flush=True)
        # Prefix reuse across questions: a prompt never sent before (a nonce right after the fixed prefix)
        # can only reuse the cached KV of the shared system prompt + template header.
        if generated and generated[0]["call"] is not None:
            call = dict(llm.calls[generated[0]["call"]])
            call["user"] = f"[{time.time_ns()}]\n" + call["user"]
            timings = direct_timings(base_url, call, settings)
            summary["prefix_reuse"] = {k: timings.get(k) for k in ("cache_n", "prompt_n", "prompt_ms")}
            print("prefix reuse:", summary["prefix_reuse"], flush=True)
    summary["decode_comparison"] = comparisons
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=2),
                             encoding="utf-8")


if __name__ == "__main__":
    main()

"""How fast this machine runs the packaged LLM right now, measured once per test session, and the time
budgets scaled from it.

Tests wait for events (a final answer, audio playing, a cancel taking effect). Where a wait needs an upper
bound, a fixed wall-clock figure fails on a slower or busier box than the one it was tuned on, so the bound
is computed from one short completion of the real LLM (its prompt and decode speed, as llama.cpp reports
them) and every failure message says the measured speed and the budget used.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The quiet 2-core box the README's figures come from: decode ~29 tokens/s, prompt reading ~83 tokens/s.
REFERENCE_DECODE_TPS = 29.0
REFERENCE_PREFILL_TPS = 83.0
# A generated answer reads up to ~900 new prompt tokens (question and evidence) and writes up to
# llm_max_tokens; the speed is measured once and a shared box gets slower and faster over a session.
ANSWER_PROMPT_TOKENS = 900
SLACK = 3.0
FLOOR_S = 60.0
MEASURE_TOKENS = 48
SAMPLE = Path(__file__).resolve().parents[1] / "knowledge" / "demo_kb" / "time_deposit_en.md"


@dataclass(frozen=True)
class Budget:
    """An upper bound on a wait, with the reason for its size (for failure messages)."""

    seconds: float
    reason: str

    @property
    def ms(self) -> float:
        return self.seconds * 1000

    def __str__(self) -> str:
        return f"{self.seconds:.0f} s ({self.reason})"


@dataclass(frozen=True)
class LlmSpeed:
    """The packaged LLM's speed on this machine, from one short completion at the start of the session."""

    decode_tps: float
    prefill_tps: float
    max_tokens: int

    @property
    def slowness(self) -> float:
        """How many times slower than the README's reference box (at least 1): scales the non-LLM work
        (Whisper, TTS, page updates) that shares the same CPU cores."""
        return max(1.0, REFERENCE_DECODE_TPS / self.decode_tps, REFERENCE_PREFILL_TPS / self.prefill_tps)

    def answer_s(self) -> float:
        """Seconds for one generated answer of the longest kind at the measured speed."""
        return ANSWER_PROMPT_TOKENS / self.prefill_tps + self.max_tokens / self.decode_tps

    def budget(self, answers: float = 1, other_s: float = 0) -> Budget:
        """A bound for ``answers`` generated answers plus ``other_s`` seconds of other work on the reference box."""
        seconds = max(FLOOR_S, SLACK * (answers * self.answer_s() + other_s * self.slowness))
        return Budget(seconds, f"{SLACK:g}x {answers:g} answer(s) + {other_s:g} s x{self.slowness:.1f} of other work, "
                               f"from {self}")

    def __str__(self) -> str:
        return (f"the LLM measured at session start: decode {self.decode_tps:.1f} tokens/s, prompt "
                f"{self.prefill_tps:.0f} tokens/s; reference box {REFERENCE_DECODE_TPS:g} / {REFERENCE_PREFILL_TPS:g}")


def measure_llm_speed(llm: Any, system: str) -> LlmSpeed:
    """One short completion (``system`` cached as in real answers, ~300 new prompt tokens, 48 generated)."""
    user = f"[{time.time_ns()}] Summarise this clause for a customer.\n\n{SAMPLE.read_text(encoding='utf-8')[:1200]}"
    max_tokens = int(llm.settings.llm_max_tokens)
    try:
        base_url = llm.server_url()
    except ValueError:  # an in-process backend without a server: time the stream itself
        started = time.perf_counter()
        pieces = sum(1 for _ in llm.stream(system, user))
        elapsed = max(time.perf_counter() - started, 1e-3)
        return LlmSpeed(max(pieces, 1) / elapsed, REFERENCE_PREFILL_TPS * max(pieces, 1) / elapsed
                        / REFERENCE_DECODE_TPS, max_tokens)
    import httpx

    body = {"model": llm.settings.llm_served_model, "max_tokens": MEASURE_TOKENS, "temperature": 0,
            "cache_prompt": True, "ignore_eos": True, "stream": False,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
    started = time.perf_counter()
    response = httpx.post(f"{base_url}/chat/completions", json=body, timeout=600)
    elapsed = max(time.perf_counter() - started, 1e-3)
    response.raise_for_status()
    reply = response.json()
    timings = reply.get("timings") or {}
    if timings.get("predicted_ms") and timings.get("prompt_ms") and timings.get("prompt_n", 0) >= 50:
        return LlmSpeed(timings["predicted_n"] * 1000 / timings["predicted_ms"],
                        timings["prompt_n"] * 1000 / timings["prompt_ms"], max_tokens)
    tokens = (reply.get("usage") or {}).get("completion_tokens") or MEASURE_TOKENS  # an external server
    return LlmSpeed(tokens / elapsed, REFERENCE_PREFILL_TPS * tokens / elapsed / REFERENCE_DECODE_TPS, max_tokens)


def llm_generating(llm: Any) -> bool:
    """Whether the embedded llama.cpp server is reading a prompt or writing tokens now (its /slots)."""
    import httpx

    root = llm.server_url().removesuffix("/v1")
    slots = httpx.get(f"{root}/slots", timeout=30).json()
    return any(slot.get("is_processing") for slot in slots)


@contextmanager
def within(budget: Budget, what: str) -> Iterator[None]:
    """Turn a Playwright timeout inside the block into a failure that names the event and the budget."""
    try:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
    except ImportError:  # pragma: no cover - the browser tests skip without Playwright
        PlaywrightTimeout = TimeoutError  # type: ignore[misc,assignment]  # noqa: N806
    try:
        yield
    except PlaywrightTimeout:
        pytest.fail(f"{what}: not within the budget of {budget}", pytrace=False)


def wait_until(condition: Any, budget: Budget, what: str, poll_s: float = 0.2) -> None:
    """Poll ``condition()`` (something the test cannot be told about, e.g. the LLM server's state)."""
    deadline = time.monotonic() + budget.seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within the budget of {budget}", pytrace=False)
        time.sleep(poll_s)

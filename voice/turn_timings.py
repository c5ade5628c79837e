"""The timeline of one spoken turn: from the end of the customer's speech to the avatar's first mouth
movement, stage by stage.

Half of the stages happen in the browser (end of turn, transcript back, first audio, first mouth
movement) and half on the server (retrieval, first token, first checked sentence), so the page reports
its marks after the reply and the server adds its own, anchored at the moment the page sent the
question. All figures are milliseconds after the end of speech. Server stages are anchored, not
clocked in the browser: they leave out the few milliseconds between the page sending the question and
the server receiving it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field, model_validator

# In the order they happen.
STAGES = ("end_of_turn", "transcript", "question_sent", "retrieved", "first_token", "first_sentence",
          "first_audio", "first_mouth")


class BrowserMarks(BaseModel):
    """What the page measured, in ms after the end of speech (the VAD fires ``end_of_turn`` later)."""

    end_of_turn: float = Field(ge=0, le=600_000)
    transcript: float = Field(ge=0, le=600_000)
    question_sent: float = Field(ge=0, le=600_000)
    first_audio: float | None = Field(default=None, ge=0, le=600_000)
    first_mouth: float | None = Field(default=None, ge=0, le=600_000)

    @model_validator(mode="after")
    def _in_order(self) -> BrowserMarks:
        marks = [self.end_of_turn, self.transcript, self.question_sent]
        if marks != sorted(marks):
            raise ValueError("marks must not go back in time: end_of_turn <= transcript <= question_sent")
        if self.first_audio is not None and self.first_audio < self.question_sent:
            raise ValueError("first_audio cannot come before the question was sent")
        return self


def timeline(marks: BrowserMarks, reply_timings: Mapping[str, float]) -> dict[str, float]:
    """Every stage's offset (ms after the end of speech) that is known; server stages come from the
    reply's timings (seconds), anchored at ``question_sent``."""
    points: dict[str, float] = {k: v for k, v in marks.model_dump().items() if v is not None}
    sent = marks.question_sent
    if "retrieve" in reply_timings:
        points["retrieved"] = sent + 1000 * sum(reply_timings.get(k, 0.0) for k in ("guard", "tool", "retrieve"))
        if "first_token" in reply_timings:
            points["first_token"] = points["retrieved"] + 1000 * reply_timings["first_token"]
    if "first_sentence" in reply_timings:
        points["first_sentence"] = sent + 1000 * reply_timings["first_sentence"]
    return {stage: round(points[stage], 1) for stage in STAGES if stage in points}


STORED_PREFIX = "voice_"


def to_stored(points: Mapping[str, float]) -> dict[str, float]:
    """The timeline as keys of a reply's timings (``voice_first_audio_ms``), beside its own stages."""
    return {f"{STORED_PREFIX}{stage}_ms": ms for stage, ms in points.items()}


def from_stored(timings: Mapping[str, float]) -> dict[str, float]:
    """The timeline back from a reply's timings; empty when the turn was not spoken."""
    return {stage: timings[f"{STORED_PREFIX}{stage}_ms"] for stage in STAGES
            if f"{STORED_PREFIX}{stage}_ms" in timings}


def summarize(timelines: Iterable[Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Per stage: how many turns reached it, and the median and 95th percentile offset."""
    by_stage: dict[str, list[float]] = {s: [] for s in STAGES}
    for points in timelines:
        for stage, value in points.items():
            if stage in by_stage:
                by_stage[stage].append(float(value))
    summary = {}
    for stage, values in by_stage.items():
        if values:
            values.sort()
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            summary[stage] = {"n": len(values), "p50": round(statistics.median(values), 1), "p95": round(p95, 1)}
    return summary


def summary_rows(summary: Mapping[str, Mapping[str, float]]) -> list[list[float | str]]:
    """[stage, turns, p50, p95] in stage order: the table the CLI prints and the evals page shows."""
    return [[stage, summary[stage]["n"], summary[stage]["p50"], summary[stage]["p95"]]
            for stage in STAGES if stage in summary]

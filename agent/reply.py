"""What the agent hands back: a reply with resolved citations, and the events of a streamed one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Intent(str, Enum):
    QUESTION = "question"
    OUT_OF_SCOPE = "out_of_scope"
    COMPLAINT = "complaint"
    CLAIM_REPORT = "claim_report"
    HUMAN_REQUEST = "human_request"
    SMALL_TALK = "small_talk"


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: str
    document_id: str
    document_title: str
    section: str
    quote: str

    def label(self) -> str:
        return f"{self.document_title} > {self.section}" if self.section else self.document_title


@dataclass(frozen=True)
class Reply:
    text: str
    citations: tuple[Citation, ...]
    refused: bool
    intent: Intent
    language: str
    handoff: bool = False
    # Seconds per stage: guard, tool (calculator), retrieve, first_token, generate, support, total; and
    # first_sentence: from the question to the first Speakable sentence (what a voice waits for).
    timings: dict[str, float] = field(default_factory=dict)
    refusal_reason: str | None = None
    # "generated" by the LLM, "faq" (approved wording, no generation), "tool" (a calculator, no
    # generation), "refusal" or "dialogue".
    answered_by: str = "generated"
    ticket: str | None = None  # the hand-off ticket this reply opened
    # Required disclosures appended to ``text`` (agent/prompts/compliance.yaml): reminders, not answers,
    # so a scorer of answer faithfulness can leave them out.
    disclosures: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["intent"] = self.intent.value
        return data


_PIECE = re.compile(r".+?(?:[。！？!?；;\n]|(?<=[.]) |$)", re.S)


def text_pieces(text: str) -> list[str]:
    """A finished reply's text cut after each sentence or clause end, for clients that take a stream but
    cannot take a sentence back: joined, the pieces are the text exactly."""
    return _PIECE.findall(text)


@dataclass(frozen=True)
class Delta:
    """A piece of streamed answer text."""

    text: str


@dataclass(frozen=True)
class Speakable:
    """A sentence of the answer that has already passed the checks the final reply applies (support,
    promises, prompt leak): a voice may say it before the whole answer exists. Plain text, no markers."""

    text: str


@dataclass(frozen=True)
class RecordedTurn:
    """Where a reply went in the audit log: its id (feedback, voice timings) and its number in the session
    (a client polls for later turns with ``after=n``)."""

    id: int
    n: int


@dataclass(frozen=True)
class Final:
    """The finished reply; its text replaces whatever was streamed (it may be a refusal). ``turn`` is set by
    the conversation that recorded it in the audit log; None without one."""

    reply: Reply
    turn: RecordedTurn | None = None


# What a streamed answer yields: deltas and speakable sentences as they come, then exactly one Final.
AnswerEvent = Delta | Speakable | Final


def final_of(events: Iterable[AnswerEvent]) -> Final:
    """The Final a stream ends with, the stream consumed: for callers that want only the whole reply."""
    final = None
    for event in events:
        if isinstance(event, Final):
            final = event
    if final is None:  # every stream ends with a Final; this guards the invariant, not the user
        raise RuntimeError("the answer stream ended without a final reply")
    return final

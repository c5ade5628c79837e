"""Ask the digital employee: a plain JSON reply, or server-sent events (deltas, then the final reply)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from agent import Delta, Speakable, final_of
from agent.answering.speakable import still_to_say
from agent.records.tables import TurnRole
from ui.api.common import open_session, reply_dict, sse, turn_dict
from ui.auth import ANY_ROLE, Identity, require
from ui.context import AppContext

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000, description="The customer's message, Chinese or English.")
    session_id: str | None = Field(default=None, description="Continue this chat session (default: start one).")
    after_turn: int | None = Field(
        default=None, description="Stream only: first send the staff replies written after this turn number.")


def _question(request: AskRequest) -> str:
    question = request.question.strip()
    if not question:
        raise HTTPException(422, "the question is empty: send some text in 'question'")
    return question


def build_router(ctx: AppContext) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["ask"])
    caller = Depends(require(*ANY_ROLE))

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "llm": ctx.answerer.llm.backend}

    @router.post("/ask")
    def ask(request: AskRequest, identity: Identity = caller) -> dict[str, Any]:
        """Answer one message in the caller's session; the whole reply as JSON."""
        question = _question(request)
        live = open_session(ctx, request.session_id, identity)
        return reply_dict(final_of(ctx.sessions.stream(live, question)), live.id)

    @router.post("/ask/stream", response_class=StreamingResponse,
                 responses={200: {"content": {"text/event-stream": {}},
                                  "description": "events: session, staff*, delta* and speakable*, final (or error)"}})
    def ask_stream(request: AskRequest, identity: Identity = caller) -> StreamingResponse:
        """Server-sent events: ``session`` (its id), ``staff`` (new staff replies), ``delta`` (answer text as
        generated), ``speakable`` (a sentence that passed the checks: a voice says each one, in order), then
        ``final`` (the Reply: text that replaces the deltas, citations, refused, intent, handoff, ticket,
        timings, turn_id) or ``error``."""
        question = _question(request)
        live = open_session(ctx, request.session_id, identity)

        def events() -> Iterator[str]:
            yield sse("session", {"session_id": live.id})
            if request.after_turn is not None:
                for turn in ctx.sessions.transcript(live):
                    if turn.role is TurnRole.STAFF and turn.n > request.after_turn:
                        yield sse("staff", turn_dict(turn))
            said: list[str] = []
            try:
                for event in ctx.sessions.stream(live, question):
                    if isinstance(event, Delta):
                        yield sse("delta", {"text": event.text})
                    elif isinstance(event, Speakable):
                        said.append(event.text)
                        yield sse("speakable", {"text": event.text})
                    else:
                        for sentence in still_to_say(event.reply, said):  # FAQ, calculator, dialogue, refusal
                            yield sse("speakable", {"text": sentence})
                        yield sse("final", reply_dict(event, live.id))
            except Exception as err:  # headers are sent: the error travels as an event, and into the log
                log.exception("streaming a reply for session %s failed", live.id)
                yield sse("error", {"detail": f"the reply failed: {type(err).__name__}: {err}"})

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return router

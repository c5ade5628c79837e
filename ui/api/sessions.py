"""A customer's own chat sessions: start one, read its transcript (staff replies included), rate replies,
and report how long a spoken turn took in the browser."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from agent.records.tables import TurnRole
from ui.api.common import open_session, turn_dict
from ui.auth import ANY_ROLE, Identity, require
from ui.context import AppContext
from voice.turn_timings import BrowserMarks, timeline, to_stored


class Feedback(BaseModel):
    turn_id: int = Field(description="The assistant turn being rated (turn_id of the reply).")
    value: int = Field(ge=-1, le=1, description="1 thumbs up, -1 thumbs down, 0 withdraws the rating.")


def build_router(ctx: AppContext) -> APIRouter:
    router = APIRouter(prefix="/api/sessions", tags=["sessions"])
    caller = Depends(require(*ANY_ROLE))

    @router.post("", status_code=201)
    def create(identity: Identity = caller) -> dict[str, str]:
        return {"session_id": ctx.sessions.create(identity.owner, "api").id}

    @router.get("/{session_id}")
    def transcript(session_id: str, after: int = 0, identity: Identity = caller) -> dict[str, Any]:
        """The session's turns numbered after ``after``: poll with the last ``n`` seen to get staff replies."""
        live = open_session(ctx, session_id, identity)
        return {"session_id": live.id,
                "turns": [turn_dict(t) for t in ctx.sessions.transcript(live) if t.n > after]}

    @router.post("/{session_id}/turns/{turn_id}/voice-timings")
    def voice_timings(session_id: str, turn_id: int, marks: BrowserMarks, identity: Identity = caller
                      ) -> dict[str, Any]:
        """The page's marks for a spoken turn (ms after the end of speech). The server adds its own stages
        from the reply's timings and stores the whole timeline with the reply; the answer is that timeline."""
        live = open_session(ctx, session_id, identity)
        turn = ctx.sessions.turn_of(live, turn_id)
        if turn is None or turn.role is not TurnRole.ASSISTANT:
            raise HTTPException(404, f"no reply {turn_id} in session {session_id}")
        points = timeline(marks, turn.timings)
        ctx.audit.add_timings(live.id, turn_id, to_stored(points))
        return {"turn_id": turn_id, "timeline_ms": points}

    @router.post("/{session_id}/feedback")
    def feedback(session_id: str, body: Feedback, identity: Identity = caller) -> dict[str, Any]:
        live = open_session(ctx, session_id, identity)
        turn = ctx.sessions.turn_of(live, body.turn_id)
        if turn is None:
            raise HTTPException(404, f"turn {body.turn_id} is not in session {session_id}")
        if turn.role is not TurnRole.ASSISTANT:
            raise HTTPException(422, f"feedback rates the assistant's replies; turn {body.turn_id} is a "
                                     f"{turn.role.value} turn")
        ctx.audit.set_feedback(body.turn_id, body.value)
        return {"turn_id": body.turn_id, "feedback": body.value}

    return router

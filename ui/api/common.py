"""Pieces the routers share: chat-session lookup with its HTTP errors, JSON shapes, SSE framing."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from fastapi import HTTPException

from agent import Final
from agent.records.audit import TurnRecord
from ui.auth import Identity
from ui.chat_sessions import LiveSession, NotYourSession, SessionNotFound
from ui.context import AppContext


def open_session(ctx: AppContext, session_id: str | None, identity: Identity, channel: str = "api") -> LiveSession:
    """The caller's session ``session_id``, or a new one when none is named; 404 / 403 otherwise."""
    if session_id is None:
        return ctx.sessions.create(identity.owner, channel)
    try:
        return ctx.sessions.get(session_id, identity.owner)
    except SessionNotFound as err:
        raise HTTPException(404, str(err)) from None
    except NotYourSession as err:
        raise HTTPException(403, str(err)) from None


def turn_dict(turn: TurnRecord) -> dict[str, Any]:
    return {"id": turn.id, "n": turn.n, "role": turn.role.value, "text": turn.text, "intent": turn.intent,
            "refused": turn.refused, "language": turn.language, "created_at": turn.created_at.isoformat(),
            "feedback": turn.feedback, "author": turn.author, "citations": [asdict(c) for c in turn.citations]}


def reply_dict(final: Final, session_id: str) -> dict[str, Any]:
    """The reply as the API returns it: text, citations, refused, intent, handoff, ticket, timings, plus the
    session, the reply's turn id (for feedback) and its number ``turn_n`` (poll with ``after=turn_n``)."""
    turn = final.turn
    return {**final.reply.to_dict(), "session_id": session_id, "turn_id": turn.id if turn else None,
            "turn_n": turn.n if turn else None}


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

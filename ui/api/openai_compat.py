"""``POST /v1/chat/completions`` in OpenAI's format, so any OpenAI client can ask the digital employee.

The last user message is the question (each request is its own audited session); the citations travel
in an extra ``citations`` field, and the reply's refusal, intent and hand-off in ``digital_employee``.
With ``stream: true`` the reply is sent in pieces only once it has passed the citation and support
checks: an OpenAI client cannot take back a sentence that the check removes. ``/api/ask/stream``
streams the live draft instead.

Sampling fields are checked, not silently dropped: ``temperature`` (0-2) and ``top_p`` are accepted and
the employee's own settings apply (a compliance-checked answer is not re-sampled per caller);
``max_tokens`` / ``max_completion_tokens`` are accepted as a ceiling the employee's own (shorter) limit
already meets; ``n`` other than 1, ``stop`` sequences (they would cut a checked answer and its disclosure),
``tools`` and ``response_format`` get a 400 in OpenAI's error format that names the field.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from agent import Reply, final_of
from agent.reply import text_pieces
from ui.auth import ANY_ROLE, Identity, require
from ui.context import AppContext

MODEL_NAME = "digital-employee"


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: str = MODEL_NAME
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    tools: list[dict[str, Any]] | None = None
    response_format: dict[str, Any] | None = None
    model_config = {"extra": "allow"}  # user, seed, metadata …: accepted and without effect

    def unsupported(self) -> tuple[str, str] | None:
        """(field, why) of the first field this endpoint cannot honour, or None."""
        if self.n not in (None, 1):
            return "n", "only one choice is returned: the digital employee gives one checked answer"
        if self.temperature is not None and not 0 <= self.temperature <= 2:
            return "temperature", "temperature must be between 0 and 2"
        if self.top_p is not None and not 0 < self.top_p <= 1:
            return "top_p", "top_p must be in (0, 1]"
        for name in ("max_tokens", "max_completion_tokens"):
            if (value := getattr(self, name)) is not None and value < 1:
                return name, f"{name} must be at least 1"
        if self.stop:
            return "stop", "stop sequences are not supported: they would cut a checked answer and its disclosures"
        if self.tools:
            return "tools", "tool calling is not supported: the digital employee answers from its knowledge base"
        if self.response_format and self.response_format.get("type") not in (None, "text"):
            return "response_format", "only text replies are supported"
        return None


def _invalid(param: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=400, content={"error": {"message": f"{param}: {message}", "param": param,
                                                            "type": "invalid_request_error", "code": None}})


def _extras(reply: Reply, session_id: str) -> dict[str, Any]:
    data = reply.to_dict()
    return {"citations": data["citations"],
            "digital_employee": {k: data[k] for k in ("refused", "intent", "handoff", "ticket", "timings",
                                                     "answered_by", "language")} | {"session_id": session_id}}


def build_router(ctx: AppContext) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai-compatible"])
    caller = Depends(require(*ANY_ROLE))

    def question_of(request: ChatRequest) -> str:
        questions = [m.text().strip() for m in request.messages if m.role == "user"]
        if not questions or not questions[-1]:
            raise HTTPException(422, "no question: the last 'user' message is what the digital employee answers")
        return questions[-1]

    def answer(question: str, identity: Identity) -> tuple[Reply, str]:
        live = ctx.sessions.create(identity.owner, "openai")
        return final_of(ctx.sessions.stream(live, question)).reply, live.id

    @router.get("/models")
    def models(identity: Identity = caller) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "local"}]}

    @router.post("/chat/completions", response_model=None)
    def chat_completions(request: ChatRequest,
                         identity: Identity = caller) -> dict[str, Any] | StreamingResponse | JSONResponse:
        if problem := request.unsupported():
            return _invalid(*problem)
        created, completion_id = int(time.time()), f"chatcmpl-{uuid.uuid4().hex}"
        question = question_of(request)
        if not request.stream:
            reply, session_id = answer(question, identity)
            return {"id": completion_id, "object": "chat.completion", "created": created, "model": request.model,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply.text}}],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    **_extras(reply, session_id)}

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            body = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                    "model": request.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    **extra}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            reply, session_id = answer(question, identity)
            for piece in text_pieces(reply.text):
                yield chunk({"content": piece})
            yield chunk({}, "stop", **_extras(reply, session_id))
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    return router

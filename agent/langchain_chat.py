"""The digital employee as a LangChain chat model, to drop into a chain or an agent built on LangChain.

Messages in, the employee's reply out: routing, guardrails, calculators, cited answers, refusals and
hand-offs exactly as in the web chat (one :class:`~agent.dialogue.conversation.Conversation` per call, audited when
an audit log is given). The last human message is what is answered; earlier human messages feed the
follow-up memory, as a resumed session's do. Citations, refusal, intent and hand-off travel in the
message's ``response_metadata``.

Streaming sends the finished, checked reply in sentence pieces: a LangChain consumer joins chunks and
cannot take back a sentence that the support check removes (the web chat streams the live draft instead).
``stop`` cuts the reply at the first stop sequence, as a model's stop would. ``temperature``,
``max_tokens``, ``timeout`` and ``max_retries`` are accepted for LangChain's standard parameters; the
employee's own settings govern generation. No tool calling, structured output or image input.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from agent.dialogue.conversation import Conversation
from agent.dialogue.intents import classify_intent
from agent.reply import Intent, Reply, final_of, text_pieces


def reply_metadata(reply: Reply, session_id: str, model_name: str) -> dict[str, Any]:
    data = reply.to_dict()
    return {"model_name": model_name, "session_id": session_id, "citations": list(data["citations"]),
            "disclosures": list(data["disclosures"]),
            **{k: data[k] for k in ("refused", "refusal_reason", "intent", "handoff", "ticket", "answered_by",
                                    "language", "timings")}}


class EmployeeChatModel(BaseChatModel):
    answerer: Any  # agent.Answerer; Any keeps pydantic from inspecting it
    audit: Any = None  # agent.records.audit.AuditLog, or None for an unaudited conversation
    channel: str = "langchain"
    today: date | None = None
    model_name: str = Field(default="digital-employee", alias="model")
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float | None = None
    max_retries: int | None = None
    stop: list[str] | None = None

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    @property
    def _llm_type(self) -> str:
        return "digital-employee"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "channel": self.channel}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "digital-employee"
        params["ls_model_name"] = kwargs.get("model", self.model_name)  # tracing names what the caller asked
        return params

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        conversation, question = self._conversation(messages)
        reply = conversation.send(question)
        text = _cut(reply.text, stop or self.stop)
        message = AIMessage(content=text, response_metadata=reply_metadata(reply, conversation.session_id,
                                                                           self.model_name))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        conversation, question = self._conversation(messages)
        reply = final_of(conversation.stream(question)).reply
        pieces = text_pieces(_cut(reply.text, stop or self.stop)) or [""]
        for piece in pieces[:-1]:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        last = ChatGenerationChunk(message=AIMessageChunk(
            content=pieces[-1], chunk_position="last",
            response_metadata=reply_metadata(reply, conversation.session_id, self.model_name)))
        if run_manager:
            run_manager.on_llm_new_token(pieces[-1], chunk=last)
        yield last

    def _conversation(self, messages: list[BaseMessage]) -> tuple[Conversation, str]:
        said = [m.text.strip() for m in messages if isinstance(m, HumanMessage) and m.text.strip()]
        if not said:
            raise ValueError("no question: the last human message is what the digital employee answers")
        conversation = Conversation(self.answerer, self.audit, channel=self.channel, today=self.today)
        for earlier in said[:-1]:
            if classify_intent(earlier) is Intent.QUESTION:
                conversation.recall(earlier)
        return conversation, said[-1]


def _cut(text: str, stop: list[str] | None) -> str:
    ends = [i for s in stop or () if s and (i := text.find(s)) >= 0]
    return text[: min(ends)] if ends else text

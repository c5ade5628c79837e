"""One customer's session: each message is routed (question, complaint, claim report, request for a
human, small talk), a complaint or claim collects its slots over several turns and then opens a
hand-off ticket, and every turn goes to the audit log with personal data masked."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

from agent.answering.answer import Answerer
from agent.dialogue.followup import continued_question
from agent.dialogue.intents import classify_intent, required_slots
from agent.dialogue.slots import extract_slots
from agent.prompting import load_prompt, render
from agent.question import Question
from agent.records.audit import AuditLog
from agent.reply import AnswerEvent, Final, Intent, Reply, final_of
from knowledge.metadata import detect_language

_HANDOFF_INTENTS = (Intent.COMPLAINT, Intent.CLAIM_REPORT)
_THANKS = ("谢", "thank")


@dataclass
class PendingHandoff:
    """A complaint or claim report still collecting its slots."""

    intent: Intent
    slots: dict[str, str] = field(default_factory=dict)

    def missing(self) -> list[str]:
        return [s for s in required_slots(self.intent) if s not in self.slots]


class Conversation:
    def __init__(self, answerer: Answerer, audit: AuditLog | None = None, channel: str = "web",
                 today: date | None = None, session_id: str | None = None) -> None:
        self.answerer = answerer
        self.audit = audit
        self.today = today
        # A session id given continues that session (see resume); none starts one in the audit log.
        self.session_id = session_id or (audit.start_session(channel) if audit else str(uuid.uuid4()))
        self.pending: PendingHandoff | None = None
        self.language = "zh"
        self.questions: list[str] = []  # standalone questions asked so far, for completing follow-ups

    @classmethod
    def resume(cls, answerer: Answerer, audit: AuditLog, session_id: str, today: date | None = None) -> Conversation:
        """Continue a session from its audit transcript: its language and the questions asked, so a
        follow-up ("那五年期呢？") completes with the earlier question. A complaint or claim still
        collecting slots starts again (the log keeps only masked values). Raises
        :class:`~agent.records.audit.UnknownSessionError` when the audit log has no such session."""
        turns = audit.transcript(session_id)
        conversation = cls(answerer, audit, today=today, session_id=session_id)
        for customer, assistant in zip(turns, turns[1:], strict=False):
            if customer.role.value != "customer" or assistant.role.value != "assistant":
                continue
            conversation.language = assistant.language or conversation.language
            if assistant.intent == Intent.QUESTION.value:
                conversation.recall(customer.text)
        return conversation

    def recall(self, question: str) -> str:
        """Take ``question`` into the follow-up memory and return the earlier question it continues: a
        follow-up ("那五年期呢？") continues the last standalone question ("" when it stands alone, and it
        becomes one of them). Resumed sessions and callers that bring their own history (the LangChain
        chat model) replay earlier questions through here."""
        previous = continued_question(question, self.questions)
        if not previous:
            self.questions.append(question)
        return previous

    def send(self, text: str) -> Reply:
        """The finished reply to ``text``: :meth:`stream` consumed to its end (one code path)."""
        return final_of(self.stream(text)).reply

    def stream(self, text: str) -> Iterator[AnswerEvent]:
        """Route ``text`` like :meth:`send`, streaming the answer of a question as it is generated.

        A question yields the answerer's :class:`Delta` and :class:`Speakable` events, then a
        :class:`Final`; every other turn (hand-off, slot question, small talk) yields a single
        :class:`Final`. The customer turn is audited before routing, the reply once the Final is known;
        the Final's text replaces whatever was streamed (it may be a refusal)."""
        text = text.strip()
        if any(ch.isalpha() for ch in text):  # a bare phone number or date says nothing of the language
            self.language = detect_language(text)
        if self.audit:
            self.audit.record_customer_turn(self.session_id, text, self.language)
        for event in self._route(text):
            if isinstance(event, Final) and self.audit:
                event = replace(event, turn=self.audit.record_reply(self.session_id, event.reply))
            yield event

    def _route(self, text: str) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        intent = classify_intent(text) if text else Intent.QUESTION
        if intent is Intent.HUMAN_REQUEST:
            yield Final(self._open(Intent.HUMAN_REQUEST, self.pending.slots if self.pending else {}, started))
            return
        if intent in _HANDOFF_INTENTS and (self.pending is None or self.pending.intent is not intent):
            self.pending = PendingHandoff(intent)
        if self.pending is not None:
            found = extract_slots(text, tuple(self.pending.missing()), self.today)
            if found or intent in _HANDOFF_INTENTS:
                self.pending.slots.update(found)
                missing = self.pending.missing()
                if not missing:
                    pending, self.pending = self.pending, None
                    yield Final(self._open(pending.intent, pending.slots, started))
                    return
                yield Final(self._say(load_prompt("dialogue", self.language)["ask"][missing[0]],
                                      self.pending.intent, started))
                return
        if intent is Intent.SMALL_TALK:
            prompt = load_prompt("dialogue", self.language)
            key = "thanks" if any(w in text.lower() for w in _THANKS) else "greeting"
            yield Final(self._say(render(prompt[key], assistant=self.answerer.settings.assistant_name), intent,
                                  started))
            return
        yield from self.answerer.stream(Question(text, self.language, previous=self.recall(text)))

    def _open(self, intent: Intent, slots: dict[str, str], started: float) -> Reply:
        summary = f"{intent.value}: " + "; ".join(f"{k}={v}" for k, v in slots.items())
        ticket = (self.audit.open_handoff(self.session_id, intent.value, slots, summary) if self.audit
                  else str(uuid.uuid4()))
        text = render(load_prompt("dialogue", self.language)["opened"][intent.value], ticket=ticket[:8])
        reply = self._say(text, intent, started)
        return Reply(**{**reply.__dict__, "handoff": True, "ticket": ticket})

    def _say(self, text: str, intent: Intent, started: float) -> Reply:
        return Reply(text=text, citations=(), refused=False, intent=intent, language=self.language,
                     timings={"total": time.perf_counter() - started}, answered_by="dialogue")

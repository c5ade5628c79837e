"""One customer's session: each message is routed (question, complaint, claim report, request for a
human, small talk), a complaint or claim collects its slots over several turns and then opens a
hand-off ticket, and every turn goes to the audit log with personal data masked."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date

from agent.answer import Answerer
from agent.audit import AuditLog
from agent.followup import standalone_query
from agent.intents import classify_intent, required_slots
from agent.prompting import load_prompt, render
from agent.reply import Intent, Reply
from agent.slots import extract_slots
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
                 today: date | None = None) -> None:
        self.answerer = answerer
        self.audit = audit
        self.today = today
        self.session_id = audit.start_session(channel) if audit else str(uuid.uuid4())
        self.pending: PendingHandoff | None = None
        self.language = "zh"
        self.questions: list[str] = []  # standalone questions asked so far, for completing follow-ups

    def send(self, text: str) -> Reply:
        text = text.strip()
        if any(ch.isalpha() for ch in text):  # a bare phone number or date says nothing of the language
            self.language = detect_language(text)
        if self.audit:
            self.audit.record_customer_turn(self.session_id, text, self.language)
        reply = self._route(text)
        if self.audit:
            self.audit.record_reply(self.session_id, reply)
        return reply

    def _route(self, text: str) -> Reply:
        started = time.perf_counter()
        intent = classify_intent(text) if text else Intent.QUESTION
        if intent is Intent.HUMAN_REQUEST:
            return self._open(Intent.HUMAN_REQUEST, self.pending.slots if self.pending else {}, started)
        if intent in _HANDOFF_INTENTS and (self.pending is None or self.pending.intent is not intent):
            self.pending = PendingHandoff(intent)
        if self.pending is not None:
            found = extract_slots(text, tuple(self.pending.missing()), self.today)
            if found or intent in _HANDOFF_INTENTS:
                self.pending.slots.update(found)
                missing = self.pending.missing()
                if not missing:
                    pending, self.pending = self.pending, None
                    return self._open(pending.intent, pending.slots, started)
                return self._say(load_prompt("dialogue", self.language)["ask"][missing[0]], self.pending.intent,
                                 started)
        if intent is Intent.SMALL_TALK:
            prompt = load_prompt("dialogue", self.language)
            key = "thanks" if any(w in text.lower() for w in _THANKS) else "greeting"
            return self._say(render(prompt[key], assistant=self.answerer.settings.assistant_name), intent, started)
        query = standalone_query(text, self.questions)
        if query == text:
            self.questions.append(text)
        return self.answerer.run(text, retrieval_query=query)

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

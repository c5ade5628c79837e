"""Live customer conversations, one :class:`~agent.dialogue.conversation.Conversation` per chat session.

Kept in a bounded in-memory map (least recently used dropped first); everything said is in the audit
log, and the owner of each session is in the user store, so a dropped or pre-restart session is
resumed from its id through :meth:`Conversation.resume`, as the CLI resumes one: its language and follow-up
memory come back from the transcript, a half-filled complaint form starts afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from agent import Answerer, AnswerEvent
from agent.dialogue.conversation import Conversation
from agent.records.audit import AuditLog, TurnRecord, UnknownSessionError
from ui.users import UserStore


class SessionNotFound(LookupError):
    pass


class NotYourSession(PermissionError):
    pass


@dataclass
class LiveSession:
    id: str
    owner: str
    conversation: Conversation
    lock: threading.Lock = field(default_factory=threading.Lock)  # one turn at a time per session


class ChatSessions:
    def __init__(self, answerer: Answerer, audit: AuditLog, users: UserStore, capacity: int) -> None:
        self.answerer = answerer
        self.audit = audit
        self.users = users
        self.capacity = max(1, capacity)
        self._live: OrderedDict[str, LiveSession] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, owner: str, channel: str = "web") -> LiveSession:
        conversation = Conversation(self.answerer, self.audit, channel)
        self.users.set_owner(conversation.session_id, owner)
        return self._keep(LiveSession(conversation.session_id, owner, conversation))

    def get(self, session_id: str, owner: str) -> LiveSession:
        """The session if ``owner`` owns it: SessionNotFound / NotYourSession otherwise."""
        with self._lock:
            live = self._live.get(session_id)
            if live is not None:
                self._live.move_to_end(session_id)
        if live is None:
            stored = self.users.owner(session_id)
            if stored is None:
                raise SessionNotFound(f"no chat session {session_id!r}; start one with POST /api/sessions")
            live = LiveSession(session_id, stored, self._resume(session_id))
            if stored == owner:
                live = self._keep(live)
        if live.owner != owner:
            raise NotYourSession(f"chat session {session_id} belongs to someone else")
        return live

    def live_count(self) -> int:
        return len(self._live)

    def _resume(self, session_id: str) -> Conversation:
        try:
            return Conversation.resume(self.answerer, self.audit, session_id)
        except UnknownSessionError:  # an owner recorded, the audit log without it (another database)
            raise SessionNotFound(f"no chat session {session_id!r} in the audit log") from None

    def _keep(self, live: LiveSession) -> LiveSession:
        with self._lock:
            self._live[live.id] = live
            self._live.move_to_end(live.id)
            while len(self._live) > self.capacity:
                self._live.popitem(last=False)
        return live

    def stream(self, live: LiveSession, text: str) -> Iterator[AnswerEvent]:
        with live.lock:
            yield from live.conversation.stream(text)

    def transcript(self, live: LiveSession) -> list[TurnRecord]:
        return self.audit.transcript(live.id)

    def turn_of(self, live: LiveSession, turn_id: int) -> TurnRecord | None:
        return next((t for t in self.audit.transcript(live.id) if t.id == turn_id), None)

"""The audit log: sessions, turns, citations, refusals and hand-offs, kept in a SQL database.

SQLite (a file under ``data_dir``) by default; any SQLAlchemy URL works, PostgreSQL through psycopg
(``postgresql+psycopg://user@host/db``). Every free-text value is passed through
:func:`~agent.policy.personal_data.mask_personal_data` before it is written: turn texts, refusal reasons,
citation titles, sections and quotes, slot values, summaries, customer references and staff names.
Identifiers (session, document and chunk ids), intents, roles and statuses are stored as given.
A ticket's slots keep a hint staff can check a caller against ([电话 尾号5678]); the clear value of a
slot holding personal data is sealed (encrypted, :mod:`agent.records.sealing`) when the log has a key, and
opened only by :meth:`AuditLog.reveal_slot`, which records who asked. Staff actions (a reveal, a document
published) are :class:`EventRecord` rows.

Callers get frozen records (:class:`TurnRecord`, :class:`HandoffRecord`), never ORM objects; each method
runs in its own short transaction, so one :class:`AuditLog` may be shared between threads.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from agent.policy.personal_data import find_personal_data, mask_for_staff, mask_personal_data
from agent.records.database import Database
from agent.records.sealing import Sealer
from agent.records.tables import (
    Base,
    CitationRow,
    EventRow,
    HandoffReason,
    HandoffRow,
    HandoffStatus,
    SealedSlotRow,
    SessionRow,
    TurnRole,
    TurnRow,
    utc_now,
)
from agent.reply import Citation, RecordedTurn, Reply
from settings import Settings

log = logging.getLogger(__name__)


class UnknownSessionError(LookupError):
    """A turn or hand-off names a session the audit log has never started."""


class UnknownTurnError(LookupError):
    pass


class UnknownHandoffError(LookupError):
    pass


class NotSealedError(LookupError):
    """The ticket keeps no sealed value of that slot (it held no personal data, or the log had no key)."""


REVEAL_ACTION = "personal_data.revealed"


@dataclass(frozen=True)
class TurnRecord:
    id: int
    session_id: str
    n: int
    role: TurnRole
    text: str
    intent: str | None
    refused: bool
    refusal_reason: str | None
    language: str | None
    timings: dict[str, float]
    created_at: datetime
    feedback: int | None
    author: str | None
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class HandoffRecord:
    id: str
    session_id: str
    reason: HandoffReason
    slots: dict[str, str]
    status: HandoffStatus
    assignee: str | None
    created_at: datetime
    closed_at: datetime | None
    summary: str
    sealed: tuple[str, ...] = ()  # slots whose clear value staff may reveal


@dataclass(frozen=True)
class EventRecord:
    id: int
    actor: str
    action: str
    subject: str
    detail: dict[str, str]
    created_at: datetime


def audit_url(settings: Settings) -> str:
    """The configured ``audit_url`` (env ``DE_AUDIT_URL``), else a SQLite file in ``data_dir``."""
    configured = getattr(settings, "audit_url", None)
    if configured:
        return str(configured)
    return f"sqlite:///{Path(settings.data_dir) / 'audit.sqlite'}"


def open_audit_log(settings: Settings) -> AuditLog:
    """The configured audit log, with the key that seals what staff need to act on."""
    return AuditLog(audit_url(settings), Sealer.from_settings(settings))


def _masked(text: str | None) -> str | None:
    return None if text is None else mask_personal_data(text)


class AuditLog:
    """Writes and reads the audit trail of customer sessions; tables are created on first use.

    Without a ``sealer`` a ticket keeps only the masked form of its slots: nothing can be revealed."""

    def __init__(self, url: str, sealer: Sealer | None = None) -> None:
        self.url = url
        self._sealer = sealer
        self._db = Database(url, Base.metadata)
        self._transaction = self._db.transaction

    @property
    def engine(self) -> Engine:
        """The underlying engine, for reports and maintenance that go beyond these methods."""
        return self._db.engine

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # Sessions and turns.

    def start_session(self, channel: str, customer_ref: str | None = None, language: str | None = None) -> str:
        session_id = str(uuid.uuid4())
        with self._transaction() as s:
            s.add(SessionRow(id=session_id, channel=channel, customer_ref=_masked(customer_ref), language=language))
        return session_id

    def close_session(self, session_id: str) -> None:
        with self._transaction() as s:
            _locked_session(s, session_id).closed_at = utc_now()

    def record_customer_turn(self, session_id: str, text: str, language: str | None = None) -> int:
        return self._add_turn(session_id, TurnRole.CUSTOMER, text, language=language).id

    def record_reply(self, session_id: str, reply: Reply) -> RecordedTurn:
        citations = [
            CitationRow(
                n=c.n,
                document_id=c.document_id,
                document_title=mask_personal_data(c.document_title),
                section=mask_personal_data(c.section),
                chunk_id=c.chunk_id,
                quote=mask_personal_data(c.quote),
            )
            for c in reply.citations
        ]
        return self._add_turn(
            session_id,
            TurnRole.ASSISTANT,
            reply.text,
            intent=reply.intent.value,
            refused=reply.refused,
            refusal_reason=_masked(reply.refusal_reason),
            language=reply.language,
            timings=dict(reply.timings),
            citations=citations,
        )

    def record_staff_turn(self, session_id: str, text: str, staff: str) -> int:
        return self._add_turn(session_id, TurnRole.STAFF, text, author=mask_personal_data(staff)).id

    def _add_turn(self, session_id: str, role: TurnRole, text: str, **columns: Any) -> RecordedTurn:
        """Appends a turn numbered after the session's last one; ``text`` is masked here."""
        with self._transaction() as s:
            _locked_session(s, session_id)  # serialises the numbering of concurrent turns in one session
            last = s.scalar(select(func.max(TurnRow.n)).where(TurnRow.session_id == session_id))
            turn = TurnRow(
                session_id=session_id, n=(last or 0) + 1, role=role.value, text=mask_personal_data(text), **columns
            )
            s.add(turn)
            s.flush()
            return RecordedTurn(turn.id, turn.n)

    def set_feedback(self, turn_id: int, value: int) -> None:
        """A customer's verdict on an assistant reply: -1 (unhelpful), 0 (neutral) or 1 (helpful)."""
        if value not in (-1, 0, 1):
            raise ValueError(f"feedback must be -1, 0 or 1, got {value!r}")
        with self._transaction() as s:
            turn = s.get(TurnRow, turn_id)
            if turn is None:
                raise UnknownTurnError(f"no turn {turn_id} in the audit log")
            if turn.role != TurnRole.ASSISTANT.value:
                raise ValueError(f"feedback is given on assistant replies; turn {turn_id} is a {turn.role} turn")
            turn.feedback = value

    def add_timings(self, session_id: str, turn_id: int, timings: dict[str, float]) -> None:
        """Merge measurements taken after the reply was recorded (a voice turn's browser-side stages)
        into the reply's timings; the turn must be an assistant reply of ``session_id``."""
        with self._transaction() as s:
            turn = s.get(TurnRow, turn_id)
            if turn is None or turn.session_id != session_id:
                raise UnknownTurnError(f"no turn {turn_id} in session {session_id!r}")
            if turn.role != TurnRole.ASSISTANT.value:
                raise ValueError(f"timings are added to assistant replies; turn {turn_id} is a {turn.role} turn")
            turn.timings = {**(turn.timings or {}), **{k: float(v) for k, v in timings.items()}}

    def recent_timings(self, prefix: str, limit: int = 1000) -> list[dict[str, float]]:
        """The timings of the latest ``limit`` replies that have a key starting with ``prefix``, newest
        first, from the latest ``20 * limit`` replies: a scan, not a JSON query, so it reads the same on
        SQLite and PostgreSQL."""
        with self._transaction() as s:
            rows = s.scalars(select(TurnRow.timings).where(TurnRow.role == TurnRole.ASSISTANT.value)
                             .order_by(TurnRow.id.desc()).limit(limit * 20)).all()
        return [dict(t) for t in rows if t and any(k.startswith(prefix) for k in t)][:limit]

    def transcript(self, session_id: str) -> list[TurnRecord]:
        with self._transaction() as s:
            if s.get(SessionRow, session_id) is None:
                raise UnknownSessionError(f"no audit session {session_id!r}")
            rows = s.scalars(
                select(TurnRow)
                .where(TurnRow.session_id == session_id)
                .order_by(TurnRow.n)
                .options(selectinload(TurnRow.citations))
            ).all()
            return [_turn_record(row) for row in rows]

    # Hand-offs to human staff.

    def open_handoff(
        self, session_id: str, reason: HandoffReason | str, slots: dict[str, str], summary: str = ""
    ) -> str:
        reason = HandoffReason.from_str(reason)
        handoff_id = str(uuid.uuid4())
        with self._transaction() as s:
            _locked_session(s, session_id)
            s.add(
                HandoffRow(
                    id=handoff_id,
                    session_id=session_id,
                    reason=reason.value,
                    slots={str(k): mask_for_staff(str(v)) for k, v in slots.items()},
                    status=HandoffStatus.OPEN.value,
                    summary=mask_for_staff(summary),
                )
            )
            s.flush()
            if self._sealer is not None:
                s.add_all(SealedSlotRow(handoff_id=handoff_id, slot=str(k), token=self._sealer.seal(str(v)))
                          for k, v in slots.items() if find_personal_data(str(v)))
        log.info("hand-off %s opened for session %s: %s", handoff_id, session_id, reason.value)
        return handoff_id

    def update_handoff(
        self, handoff_id: str, status: HandoffStatus | str | None = None, assignee: str | None = None
    ) -> HandoffRecord:
        """Assign or close a ticket. Naming an assignee without a status moves an open ticket to assigned."""
        new_status = None if status is None else HandoffStatus.from_str(status)
        with self._transaction() as s:
            row = s.get(HandoffRow, handoff_id, with_for_update=True)
            if row is None:
                raise UnknownHandoffError(f"no hand-off {handoff_id!r} in the audit log")
            if row.status == HandoffStatus.CLOSED.value:
                raise ValueError(f"hand-off {handoff_id} is closed; open a new one instead of changing it")
            if assignee is not None:
                row.assignee = mask_personal_data(assignee)
                if new_status is None and row.status == HandoffStatus.OPEN.value:
                    new_status = HandoffStatus.ASSIGNED
            if new_status is HandoffStatus.ASSIGNED and row.assignee is None:
                raise ValueError(f"hand-off {handoff_id} cannot be assigned without an assignee")
            if new_status is not None:
                row.status = new_status.value
                if new_status is HandoffStatus.CLOSED:
                    row.closed_at = utc_now()
            return _handoff_record(row, _sealed_slots(s, [handoff_id]).get(handoff_id, ()))

    def handoff(self, handoff_id: str) -> HandoffRecord:
        with self._transaction() as s:
            row = s.get(HandoffRow, handoff_id)
            if row is None:
                raise UnknownHandoffError(f"no hand-off {handoff_id!r} in the audit log")
            return _handoff_record(row, _sealed_slots(s, [handoff_id]).get(handoff_id, ()))

    def handoffs(self, status: HandoffStatus | str | None = None) -> list[HandoffRecord]:
        """Tickets, oldest first; only those with ``status`` when given."""
        query = select(HandoffRow).order_by(HandoffRow.created_at, HandoffRow.id)
        if status is not None:
            query = query.where(HandoffRow.status == HandoffStatus.from_str(status).value)
        with self._transaction() as s:
            rows = list(s.scalars(query))
            sealed = _sealed_slots(s, [row.id for row in rows])
            return [_handoff_record(row, sealed.get(row.id, ())) for row in rows]

    def reveal_slot(self, handoff_id: str, slot: str, actor: str) -> str:
        """The clear value of a sealed slot, for ``actor`` (a staff member about to call back); the reveal
        is recorded in the same transaction, so no value leaves unrecorded. Raises
        :class:`UnknownHandoffError` or :class:`NotSealedError`."""
        with self._transaction() as s:
            if s.get(HandoffRow, handoff_id) is None:
                raise UnknownHandoffError(f"no hand-off {handoff_id!r} in the audit log")
            row = s.scalar(select(SealedSlotRow).where(SealedSlotRow.handoff_id == handoff_id,
                                                       SealedSlotRow.slot == slot))
            if row is None or self._sealer is None:
                raise NotSealedError(f"hand-off {handoff_id} keeps no sealed value of {slot!r}")
            value = self._sealer.open(row.token)
            s.add(EventRow(actor=mask_personal_data(actor), action=REVEAL_ACTION, subject=f"handoff:{handoff_id}",
                           detail={"slot": slot}))
        log.info("hand-off %s: %s revealed by %s", handoff_id, slot, actor)
        return value

    # Staff actions.

    def record_event(self, actor: str, action: str, subject: str, detail: dict[str, str] | None = None) -> int:
        """One staff action (``document.published``, ...) on ``subject``; free text in ``detail`` is masked."""
        with self._transaction() as s:
            row = EventRow(actor=mask_personal_data(actor), action=action, subject=subject,
                           detail={str(k): mask_personal_data(str(v)) for k, v in (detail or {}).items()})
            s.add(row)
            s.flush()
            return row.id

    def events(self, subject: str | None = None, action_prefix: str | None = None,
               limit: int = 200) -> list[EventRecord]:
        """Staff actions, newest first; only those on ``subject`` / with an action starting ``action_prefix``."""
        query = select(EventRow).order_by(EventRow.id.desc()).limit(limit)
        if subject is not None:
            query = query.where(EventRow.subject == subject)
        if action_prefix is not None:
            query = query.where(EventRow.action.startswith(action_prefix))
        with self._transaction() as s:
            return [EventRecord(id=r.id, actor=r.actor, action=r.action, subject=r.subject,
                                detail={str(k): str(v) for k, v in (r.detail or {}).items()},
                                created_at=r.created_at) for r in s.scalars(query)]


def _locked_session(s: Session, session_id: str) -> SessionRow:
    row = s.get(SessionRow, session_id, with_for_update=True)
    if row is None:
        raise UnknownSessionError(f"no audit session {session_id!r}; start one with AuditLog.start_session()")
    return row


def _turn_record(row: TurnRow) -> TurnRecord:
    return TurnRecord(
        id=row.id,
        session_id=row.session_id,
        n=row.n,
        role=TurnRole(row.role),
        text=row.text,
        intent=row.intent,
        refused=row.refused,
        refusal_reason=row.refusal_reason,
        language=row.language,
        timings=dict(row.timings or {}),
        created_at=row.created_at,
        feedback=row.feedback,
        author=row.author,
        citations=tuple(
            Citation(
                n=c.n,
                chunk_id=c.chunk_id,
                document_id=c.document_id,
                document_title=c.document_title,
                section=c.section,
                quote=c.quote,
            )
            for c in row.citations
        ),
    )


def _sealed_slots(s: Session, handoff_ids: list[str]) -> dict[str, tuple[str, ...]]:
    if not handoff_ids:
        return {}
    found: dict[str, list[str]] = {}
    for handoff_id, slot in s.execute(select(SealedSlotRow.handoff_id, SealedSlotRow.slot)
                                      .where(SealedSlotRow.handoff_id.in_(handoff_ids))
                                      .order_by(SealedSlotRow.id)):
        found.setdefault(handoff_id, []).append(slot)
    return {k: tuple(v) for k, v in found.items()}


def _handoff_record(row: HandoffRow, sealed: tuple[str, ...] = ()) -> HandoffRecord:
    return HandoffRecord(
        id=row.id,
        session_id=row.session_id,
        reason=HandoffReason(row.reason),
        slots=dict(row.slots),
        status=HandoffStatus(row.status),
        assignee=row.assignee,
        created_at=row.created_at,
        closed_at=row.closed_at,
        summary=row.summary,
        sealed=sealed,
    )

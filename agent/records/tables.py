"""Tables of the audit log: sessions, their turns, the citations of each reply, hand-off tickets, the
sealed (encrypted) personal data staff need to act on a ticket, and staff actions (events).

Internal to :mod:`agent.records.audit`; callers get frozen records from there, never these ORM objects.
Every timestamp is stored and read back as timezone-aware UTC, on SQLite (which keeps no zone) too.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend; naive datetimes are refused, not guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"audit timestamps must be timezone-aware, got naive {value!r}")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


_V = TypeVar("_V", bound="_Vocabulary")


class _Vocabulary(str, Enum):
    @classmethod
    def from_str(cls: type[_V], value: str) -> _V:
        """The member for ``value`` (a member passes through); a clear error naming the allowed values."""
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown {cls.__doc__} {value!r}; use one of: {allowed}") from None

    @classmethod
    def sql_check(cls, column: str) -> str:
        return f"{column} IN ({', '.join(repr(m.value) for m in cls)})"


class TurnRole(_Vocabulary):
    """turn role"""

    CUSTOMER = "customer"
    ASSISTANT = "assistant"
    STAFF = "staff"


class HandoffReason(_Vocabulary):
    """hand-off reason"""

    COMPLAINT = "complaint"
    CLAIM_REPORT = "claim_report"
    HUMAN_REQUEST = "human_request"
    REFUSAL = "refusal"


class HandoffStatus(_Vocabulary):
    """hand-off status"""

    OPEN = "open"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    customer_ref: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    closed_at: Mapped[datetime | None]

    turns: Mapped[list[TurnRow]] = relationship(back_populates="session", order_by="TurnRow.n")


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("session_id", "n", name="uq_turns_session_n"),
        CheckConstraint(TurnRole.sql_check("role"), name="ck_turns_role"),
        CheckConstraint("feedback IN (-1, 0, 1)", name="ck_turns_feedback"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    n: Mapped[int]
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(32))
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    timings: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    feedback: Mapped[int | None] = mapped_column(SmallInteger)
    # Who wrote a staff turn (masked like everything else); None for customer and assistant turns.
    author: Mapped[str | None] = mapped_column(String(128))

    session: Mapped[SessionRow] = relationship(back_populates="turns")
    citations: Mapped[list[CitationRow]] = relationship(
        back_populates="turn", order_by="CitationRow.n", cascade="all, delete-orphan"
    )


class CitationRow(Base):
    __tablename__ = "citations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    n: Mapped[int]
    document_id: Mapped[str] = mapped_column(String(256))
    document_title: Mapped[str] = mapped_column(Text)
    section: Mapped[str] = mapped_column(Text)
    chunk_id: Mapped[str] = mapped_column(String(256))
    quote: Mapped[str] = mapped_column(Text)

    turn: Mapped[TurnRow] = relationship(back_populates="citations")


class HandoffRow(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(HandoffStatus.sql_check("status"), name="ck_handoffs_status"),
        CheckConstraint(HandoffReason.sql_check("reason"), name="ck_handoffs_reason"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    slots: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), index=True)
    assignee: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    closed_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text, default="")


class SealedSlotRow(Base):
    """A hand-off slot's value in clear, encrypted (Fernet): what staff need to act on (call-back contact,
    card number). The ticket's own ``slots`` keep only the masked form; a new table, so audit databases
    from before it gain it on first use."""

    __tablename__ = "sealed_slots"
    __table_args__ = (UniqueConstraint("handoff_id", "slot", name="uq_sealed_slots_handoff_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[str] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    slot: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(Text)


class EventRow(Base):
    """Who did what to which thing: documents uploaded, edited and published, personal data revealed."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(256), index=True)
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

"""The trainer database: lessons (draft -> published), imported question banks, and trainee attempts.

SQLite under ``data_dir`` by default, any SQLAlchemy URL (PostgreSQL) through ``trainer_url`` — the
same pattern as the audit log. Callers get frozen records, never ORM objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, Integer, String, Text
from sqlalchemy import select as sql_select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from agent.records.database import Database
from agent.trainer.bank import ExamQuestion
from settings import Settings


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class LessonStatus(str, Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


class AttemptKind(str, Enum):
    """What a trainee did: answered a quiz item, an exam question, an open question, a role-play turn."""

    QUIZ = "quiz"
    EXAM = "exam"
    OPEN = "open"
    ROLEPLAY = "roleplay"

    @classmethod
    def from_str(cls, value: str) -> AttemptKind:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown attempt kind {value!r}; use one of: {', '.join(k.value for k in cls)}") from None


class _Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON()}


class LessonRow(_Base):
    __tablename__ = "trainer_lessons"
    __table_args__ = (CheckConstraint("status IN ('draft', 'published')", name="ck_lessons_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(256), index=True)
    cache_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=LessonStatus.DRAFT.value)
    content: Mapped[dict[str, Any]]
    author: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    published_at: Mapped[datetime | None]


class BankQuestionRow(_Base):
    __tablename__ = "trainer_bank_questions"

    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]]
    answer: Mapped[str] = mapped_column(String(1))
    explanation: Mapped[str] = mapped_column(Text, default="")


class AttemptRow(_Base):
    __tablename__ = "trainer_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trainee: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(256), index=True)
    item: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float)  # 0..1
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


@dataclass(frozen=True)
class LessonRecord:
    id: int
    topic: str
    cache_key: str
    status: LessonStatus
    content: dict[str, Any]
    author: str | None
    updated_at: datetime
    published_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    id: int
    trainee: str
    kind: AttemptKind
    topic: str
    item: str
    score: float
    detail: dict[str, Any]
    created_at: datetime


class UnknownLessonError(LookupError):
    pass


def trainer_url(settings: Settings) -> str:
    """The configured ``trainer_url`` (env ``DE_TRAINER_URL``), else a SQLite file in ``data_dir``."""
    return settings.trainer_url or f"sqlite:///{Path(settings.data_dir) / 'trainer.sqlite'}"


class TrainerStore:
    """Reads and writes the trainer tables; each method is one short transaction."""

    def __init__(self, url: str) -> None:
        self._db = Database(url, _Base.metadata)
        self.engine = self._db.engine
        self._transaction = self._db.transaction

    def close(self) -> None:
        self._db.close()

    # Lessons.

    def save_lesson(self, topic: str, cache_key: str, content: dict[str, Any], author: str | None = None) -> int:
        """A new draft lesson; returns its id."""
        with self._transaction() as s:
            row = LessonRow(topic=topic, cache_key=cache_key, content=content, author=author)
            s.add(row)
            s.flush()
            return row.id

    def edit_lesson(self, lesson_id: int, content: dict[str, Any], author: str | None = None) -> LessonRecord:
        """Replace a lesson's content; editing a published lesson returns it to draft until re-published."""
        with self._transaction() as s:
            row = self._lesson_row(s, lesson_id)
            row.content, row.updated_at, row.status = content, utc_now(), LessonStatus.DRAFT.value
            row.published_at = None
            if author:
                row.author = author
            return _lesson_record(row)

    def publish_lesson(self, lesson_id: int) -> LessonRecord:
        with self._transaction() as s:
            row = self._lesson_row(s, lesson_id)
            row.status, row.published_at = LessonStatus.PUBLISHED.value, utc_now()
            return _lesson_record(row)

    def lesson(self, lesson_id: int) -> LessonRecord:
        with self._transaction() as s:
            return _lesson_record(self._lesson_row(s, lesson_id))

    def lessons(self, topic: str | None = None, status: LessonStatus | None = None) -> list[LessonRecord]:
        query = sql_select(LessonRow).order_by(LessonRow.id)
        if topic is not None:
            query = query.where(LessonRow.topic == topic)
        if status is not None:
            query = query.where(LessonRow.status == status.value)
        with self._transaction() as s:
            return [_lesson_record(r) for r in s.scalars(query)]

    @staticmethod
    def _lesson_row(s: Session, lesson_id: int) -> LessonRow:
        row = s.get(LessonRow, lesson_id)
        if row is None:
            raise UnknownLessonError(f"no lesson {lesson_id}; list them with `digital-employee train lessons`")
        return row

    # Question banks.

    def import_questions(self, questions: tuple[ExamQuestion, ...]) -> int:
        """Insert or replace questions (keyed by subject and id); returns how many were written."""
        with self._transaction() as s:
            for q in questions:
                s.merge(BankQuestionRow(subject=q.subject, id=q.id, question=q.question,
                                        options=dict(zip("ABCD", q.options, strict=True)), answer=q.answer,
                                        explanation=q.explanation))
        return len(questions)

    def bank_questions(self, subject: str | None = None) -> list[ExamQuestion]:
        query = sql_select(BankQuestionRow).order_by(BankQuestionRow.subject, BankQuestionRow.id)
        if subject is not None:
            query = query.where(BankQuestionRow.subject == subject)
        with self._transaction() as s:
            return [ExamQuestion(r.id, r.subject, r.question, tuple(r.options[k] for k in "ABCD"),  # type: ignore[arg-type]
                                 r.answer, r.explanation) for r in s.scalars(query)]

    # Attempts and progress.

    def record_attempt(self, trainee: str, kind: AttemptKind | str, topic: str, score: float,
                       item: str = "", detail: dict[str, Any] | None = None) -> int:
        if not trainee.strip():
            raise ValueError("a trainee name is needed to record progress")
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"score must be between 0 and 1, got {score}")
        kind = AttemptKind.from_str(kind) if isinstance(kind, str) else kind
        with self._transaction() as s:
            row = AttemptRow(trainee=trainee.strip(), kind=kind.value, topic=topic, item=item, score=score,
                             detail=json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str)))
            s.add(row)
            s.flush()
            return row.id

    def attempts(self, trainee: str | None = None) -> list[Attempt]:
        query = sql_select(AttemptRow).order_by(AttemptRow.created_at, AttemptRow.id)
        if trainee is not None:
            query = query.where(AttemptRow.trainee == trainee)
        with self._transaction() as s:
            return [Attempt(r.id, r.trainee, AttemptKind(r.kind), r.topic, r.item, r.score, dict(r.detail),
                            _aware(r.created_at)) for r in s.scalars(query)]


def open_store(settings: Settings) -> TrainerStore:
    return TrainerStore(trainer_url(settings))


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _lesson_record(row: LessonRow) -> LessonRecord:
    return LessonRecord(row.id, row.topic, row.cache_key, LessonStatus(row.status), dict(row.content), row.author,
                        _aware(row.updated_at), _aware(row.published_at) if row.published_at else None)

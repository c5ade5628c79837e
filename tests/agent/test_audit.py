"""The audit log keeps sessions, turns, citations, refusals and hand-offs, with personal data masked.

Every database test runs twice: on a SQLite file and on a real PostgreSQL server (tests/agent/conftest.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from agent.records.audit import (
    REVEAL_ACTION,
    AuditLog,
    HandoffReason,
    HandoffStatus,
    NotSealedError,
    TurnRole,
    UnknownHandoffError,
    UnknownSessionError,
    UnknownTurnError,
    audit_url,
)
from agent.records.sealing import Sealer, SealingKeyError
from agent.records.tables import Base
from agent.reply import Citation, Intent, Reply
from settings import Settings

ID_NUMBER = "11010519491231002X"  # GB 11643 specimen, valid check digit
PHONE = "13812345678"
CARD = "6222600260001072444"  # Luhn-valid
EMAIL = "li.wei@example.com"
PERSONAL_DATA = (ID_NUMBER, PHONE, CARD, EMAIL, CARD[:14])

CITATIONS = (
    Citation(1, "c-cooling-1", "doc-health", "个人健康保险条款", "第五条 犹豫期", "犹豫期为15日，期间退保全额退费。"),
    Citation(2, "c-claims-3", "doc-claims", "理赔服务指南", "", "申请理赔应在事故发生后10日内通知本公司。"),
)


def answer(text_: str, citations: tuple[Citation, ...] = CITATIONS, **changes: object) -> Reply:
    fields: dict[str, object] = {
        "text": text_,
        "citations": citations,
        "refused": False,
        "intent": Intent.QUESTION,
        "language": "zh",
        "timings": {"retrieve": 0.05, "generate": 1.25, "total": 1.3},
    }
    fields.update(changes)
    return Reply(**fields)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.sqlite'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    engine = create_engine(url)  # leave the shared database empty for the next test
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def audit(db_url: str) -> Iterator[AuditLog]:
    with AuditLog(db_url) as log:
        yield log


def raw_rows(audit: AuditLog) -> str:
    """Every stored row of every table, as the database holds it, bypassing the ORM."""
    with audit.engine.connect() as c:
        return "\n".join(
            repr(tuple(row)) for table in Base.metadata.tables for row in c.execute(text(f"SELECT * FROM {table}"))
        )


def test_a_conversation_is_kept_in_order_with_the_citations_of_each_reply(db_url: str) -> None:
    with AuditLog(db_url) as audit:
        session = audit.start_session("web", customer_ref="cust-0042", language="zh")
        asked = audit.record_customer_turn(session, "犹豫期内退保能全额退款吗？", language="zh")
        replied = audit.record_reply(session, answer("可以，犹豫期为15日，期间退保全额退费[1][2]。"))
        staffed = audit.record_staff_turn(session, "我是客服小王，已为您确认。", staff="王芳")

    with AuditLog(db_url) as reopened:  # a new engine: what came back was persisted, not cached
        turns = reopened.transcript(session)
        reopened.close_session(session)
        with reopened.engine.connect() as c:
            assert c.execute(text("SELECT closed_at FROM sessions")).scalar_one() is not None

    assert [t.id for t in turns] == [asked, replied.id, staffed]
    assert [t.n for t in turns] == [1, replied.n, 3] == [1, 2, 3]
    assert [t.role for t in turns] == [TurnRole.CUSTOMER, TurnRole.ASSISTANT, TurnRole.STAFF]
    assert turns[0].text == "犹豫期内退保能全额退款吗？" and turns[0].citations == ()
    assert turns[1].citations == CITATIONS
    assert turns[1].intent == "question" and turns[1].refused is False and turns[1].language == "zh"
    assert turns[1].timings == {"retrieve": 0.05, "generate": 1.25, "total": 1.3}
    assert turns[2].author == "王芳" and turns[2].intent is None
    assert all(t.created_at.utcoffset() == timedelta(0) for t in turns)  # aware, in UTC
    assert turns[0].created_at <= turns[1].created_at <= turns[2].created_at


def test_personal_data_is_masked_in_every_stored_row(audit: AuditLog) -> None:
    session = audit.start_session("api", customer_ref=f"手机{PHONE}")
    audit.record_customer_turn(session, f"我的身份证号是{ID_NUMBER}，手机{PHONE}，帮我查保单。")
    leaky = Citation(1, "c-1", "doc-1", "客户来函", "附件", f"来函人邮箱 {EMAIL}，卡号 {CARD}")
    reply_id = audit.record_reply(session, answer(f"已将结果发送至 {EMAIL}，扣款卡号 {CARD}[1]。", (leaky,))).id
    handoff_id = audit.open_handoff(
        session,
        HandoffReason.COMPLAINT,
        {"account": CARD, "contact": PHONE, "what_happened": f"身份证{ID_NUMBER}被冒用"},
        summary=f"客户要求回电 {PHONE}",
    )

    stored = raw_rows(audit)
    for value in PERSONAL_DATA:
        assert value not in stored, f"{value} reached the database unmasked"
    turns = audit.transcript(session)
    assert turns[0].text == "我的身份证号是[身份证号]，手机[电话]，帮我查保单。"
    assert turns[1].id == reply_id and turns[1].text == "已将结果发送至 [邮箱]，扣款卡号 [银行卡号][1]。"
    assert turns[1].citations[0].quote == "来函人邮箱 [邮箱]，卡号 [银行卡号]"
    ticket = audit.handoff(handoff_id)
    # Slots and summary keep the last four digits, so staff can check a caller against them.
    assert ticket.slots == {"account": "[银行卡号 尾号2444]", "contact": "[电话 尾号5678]",
                            "what_happened": "身份证[身份证号 尾号002X]被冒用"}
    assert ticket.summary == "客户要求回电 [电话 尾号5678]"
    assert ticket.sealed == ()  # a log without a key keeps nothing to reveal


def test_what_staff_need_to_call_back_is_sealed_and_revealed_only_on_request_each_time_recorded(db_url: str) -> None:
    key = Fernet.generate_key()
    with AuditLog(db_url, Sealer(key)) as audit:
        session = audit.start_session("web")
        handoff_id = audit.open_handoff(session, "complaint", {"reference": "6222 0212 3456 7890", "contact": PHONE,
                                                               "what_happened": "重复扣了年费"})
        stored = raw_rows(audit)
        assert PHONE not in stored and "3456 7890" not in stored and "6222021234567890" not in stored
        ticket = audit.handoff(handoff_id)
        assert set(ticket.sealed) == {"reference", "contact"}  # what_happened held no personal data
        assert ticket.slots["contact"] == "[电话 尾号5678]"
        assert audit.events(subject=f"handoff:{handoff_id}") == []

        assert audit.reveal_slot(handoff_id, "contact", actor="王芳") == PHONE
        assert audit.reveal_slot(handoff_id, "reference", actor="李雷") == "6222 0212 3456 7890"
        reveals = audit.events(subject=f"handoff:{handoff_id}", action_prefix=REVEAL_ACTION)
        assert [(e.actor, e.detail) for e in reveals] == [("李雷", {"slot": "reference"}),
                                                           ("王芳", {"slot": "contact"})]
        with pytest.raises(NotSealedError):
            audit.reveal_slot(handoff_id, "what_happened", actor="王芳")
        with pytest.raises(UnknownHandoffError):
            audit.reveal_slot("no-such-ticket", "contact", actor="王芳")
        assert len(audit.events(action_prefix=REVEAL_ACTION)) == 2  # refused reveals record nothing

    with AuditLog(db_url, Sealer(Fernet.generate_key())) as other_key, pytest.raises(SealingKeyError):
        other_key.reveal_slot(handoff_id, "contact", actor="王芳")


def test_a_malformed_personal_data_key_is_refused_with_what_to_do() -> None:
    with pytest.raises(SealingKeyError, match="DE_PII_KEY"):
        Sealer("not-a-key")


def test_staff_actions_are_recorded_as_events_newest_first_with_personal_data_masked(audit: AuditLog) -> None:
    audit.record_event("ada", "document.uploaded", "doc:policy-7", {"file": "policy.pdf"})
    audit.record_event("bob", "document.published", "doc:policy-7", {"note": f"客户{PHONE}来电确认"})
    audit.record_event("ada", "document.uploaded", "doc:other")
    events = audit.events(subject="doc:policy-7")
    assert [(e.actor, e.action) for e in events] == [("bob", "document.published"), ("ada", "document.uploaded")]
    assert events[0].detail == {"note": "客户[电话]来电确认"}
    assert [e.subject for e in audit.events(action_prefix="document.uploaded")] == ["doc:other", "doc:policy-7"]


def test_a_refusal_is_stored_with_its_reason(audit: AuditLog) -> None:
    session = audit.start_session("cli")
    audit.record_customer_turn(session, "明天股市会涨吗？")
    refusal = answer(
        "抱歉，这个问题超出了我能回答的范围。",
        citations=(),
        refused=True,
        intent=Intent.OUT_OF_SCOPE,
        refusal_reason="out_of_scope: investment advice",
    )
    turn_id = audit.record_reply(session, refusal).id

    (stored,) = [t for t in audit.transcript(session) if t.id == turn_id]
    assert stored.refused is True
    assert stored.refusal_reason == "out_of_scope: investment advice"
    assert stored.intent == "out_of_scope" and stored.citations == ()


def test_feedback_is_recorded_on_an_assistant_reply_and_can_be_changed(audit: AuditLog) -> None:
    session = audit.start_session("web")
    question = audit.record_customer_turn(session, "信用卡年费怎么收？")
    reply = audit.record_reply(session, answer("首年免年费[1]。")).id

    audit.set_feedback(reply, -1)
    assert audit.transcript(session)[1].feedback == -1
    audit.set_feedback(reply, 1)
    assert [t.feedback for t in audit.transcript(session)] == [None, 1]

    with pytest.raises(ValueError, match="-1, 0 or 1"):
        audit.set_feedback(reply, 5)
    with pytest.raises(ValueError, match="assistant replies"):
        audit.set_feedback(question, 1)
    with pytest.raises(UnknownTurnError):
        audit.set_feedback(999_999, 1)


def test_a_handoff_goes_from_open_to_assigned_to_closed(audit: AuditLog) -> None:
    session = audit.start_session("web")
    complaint = audit.open_handoff(session, "complaint", {"account": "A-1001", "what_happened": "重复扣费"})
    claim = audit.open_handoff(session, HandoffReason.CLAIM_REPORT, {"policy": "P-2024-77", "date": "2024-05-01"})

    assert [h.id for h in audit.handoffs(status="open")] == [complaint, claim]
    assigned = audit.update_handoff(complaint, assignee="王经理")
    assert assigned.status is HandoffStatus.ASSIGNED and assigned.assignee == "王经理"
    assert [h.id for h in audit.handoffs(HandoffStatus.OPEN)] == [claim]
    assert [h.id for h in audit.handoffs("assigned")] == [complaint]

    closed = audit.update_handoff(complaint, status="closed")
    assert closed.status is HandoffStatus.CLOSED and closed.closed_at is not None
    assert closed.closed_at.tzinfo is not None and closed.closed_at >= closed.created_at
    assert audit.handoff(claim).reason is HandoffReason.CLAIM_REPORT
    assert audit.handoff(claim).slots == {"policy": "P-2024-77", "date": "2024-05-01"}
    assert {h.id for h in audit.handoffs()} == {complaint, claim}

    with pytest.raises(ValueError, match="is closed"):
        audit.update_handoff(complaint, status="open")
    with pytest.raises(ValueError, match="without an assignee"):
        audit.update_handoff(claim, status="assigned")
    with pytest.raises(UnknownHandoffError):
        audit.update_handoff("no-such-ticket", status="closed")


def test_an_unknown_handoff_reason_or_status_names_the_allowed_values(audit: AuditLog) -> None:
    session = audit.start_session("web")
    with pytest.raises(ValueError, match="complaint, claim_report, human_request, refusal"):
        audit.open_handoff(session, "angry_customer", {})
    with pytest.raises(ValueError, match="open, assigned, closed"):
        audit.handoffs(status="pending")


def test_a_turn_for_an_unknown_session_is_refused_with_a_clear_error(audit: AuditLog) -> None:
    with pytest.raises(UnknownSessionError, match="no audit session 'no-such-session'.*start_session"):
        audit.record_customer_turn("no-such-session", "你好")
    with pytest.raises(UnknownSessionError):
        audit.record_reply("no-such-session", answer("你好"))
    with pytest.raises(UnknownSessionError):
        audit.open_handoff("no-such-session", "human_request", {})
    with pytest.raises(UnknownSessionError):
        audit.transcript("no-such-session")
    assert "你好" not in raw_rows(audit)


def test_the_database_itself_enforces_foreign_keys(audit: AuditLog) -> None:
    audit.start_session("web")  # creates the tables
    insert = text(
        "INSERT INTO turns (session_id, n, role, text, refused, created_at) "
        "VALUES ('no-such-session', 1, 'customer', 'x', false, CURRENT_TIMESTAMP)"
    )
    with pytest.raises(IntegrityError), audit.engine.begin() as c:
        c.execute(insert)


def test_concurrent_writers_lose_no_turns(db_url: str) -> None:
    with AuditLog(db_url) as setup:
        session = setup.start_session("api")
    start, errors = threading.Barrier(2), []

    def write(writer: str) -> None:
        try:
            with AuditLog(db_url) as audit:  # each writer its own engine, as two processes would have
                start.wait()
                for i in range(50):
                    audit.record_customer_turn(session, f"{writer}-{i}")
        except Exception as error:  # re-raised in the test thread below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    with AuditLog(db_url) as audit:
        turns = audit.transcript(session)
    assert [t.n for t in turns] == list(range(1, 101))
    assert sorted(t.text for t in turns) == sorted(f"{w}-{i}" for w in ("a", "b") for i in range(50))
    for writer in ("a", "b"):  # each writer's turns in the order it wrote them
        assert [t.text for t in turns if t.text.startswith(writer)] == [f"{writer}-{i}" for i in range(50)]


def test_the_default_audit_log_is_a_sqlite_file_in_the_data_folder_in_wal_mode(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "not-yet-created", _env_file=None)  # type: ignore[call-arg]
    url = audit_url(settings)
    assert url == f"sqlite:///{tmp_path / 'not-yet-created' / 'audit.sqlite'}"

    with AuditLog(url) as audit:
        audit.start_session("cli")
        with audit.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert (tmp_path / "not-yet-created" / "audit.sqlite").is_file()


def test_a_configured_audit_url_wins_over_the_default(tmp_path: Path) -> None:
    configured = SimpleNamespace(audit_url="postgresql+psycopg://audit@db.internal/audit", data_dir=tmp_path)
    assert audit_url(configured) == "postgresql+psycopg://audit@db.internal/audit"  # type: ignore[arg-type]

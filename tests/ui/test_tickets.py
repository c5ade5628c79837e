"""The hand-off round trip over HTTP: a customer's complaint becomes a ticket, staff read it with its
slots and transcript, reply into the customer's chat, and close it. No LLM is involved."""

from __future__ import annotations

from tests.ui.conftest import read_sse

COMPLAINT = "我要投诉，信用卡卡号6222020200112233445被多扣了200元年费，请打13812345678联系我"


def _complain(client, account) -> dict:
    response = client.post("/api/ask", json={"question": COMPLAINT}, headers=account.headers)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["intent"] == "complaint" and reply["handoff"] and reply["ticket"]
    return reply


def test_staff_see_a_complaint_ticket_with_its_slots_and_transcript(client, accounts):
    reply = _complain(client, accounts["carol"])
    queue = client.get("/api/tickets", headers=accounts["sam"].headers).json()
    assert reply["ticket"] in [t["id"] for t in queue]
    ticket = client.get(f"/api/tickets/{reply['ticket']}", headers=accounts["sam"].headers).json()
    assert ticket["reason"] == "complaint" and ticket["status"] == "open"
    assert set(ticket["slots"]) == {"reference", "what_happened", "contact"}
    assert "13812345678" not in str(ticket), "personal data is masked in the audit log"
    roles = [t["role"] for t in ticket["transcript"]]
    assert roles == ["customer", "assistant"] and ticket["transcript"][1]["intent"] == "complaint"


PILOT_COMPLAINT = "我要投诉，卡号是6222 0212 3456 7890，昨天被重复扣了年费，电话１３８ ０００１ ２３４５"


def test_the_pilots_complaint_keeps_no_card_or_phone_number_in_clear_and_staff_reveal_the_call_back_number(
        client, accounts, settings):
    from agent.records.audit import REVEAL_ACTION, open_audit_log
    from agent.records.tables import Base

    response = client.post("/api/ask", json={"question": PILOT_COMPLAINT}, headers=accounts["carol"].headers)
    ticket_id = response.json()["ticket"]
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=accounts["sam"].headers).json()
    assert ticket["slots"]["contact"] == "[电话 尾号2345]" and ticket["slots"]["reference"] == "[银行卡号 尾号7890]"
    assert set(ticket["sealed"]) >= {"contact", "reference"}
    with open_audit_log(settings) as audit, audit.engine.connect() as db:
        from sqlalchemy import text

        stored = "\n".join(repr(tuple(r)) for t in Base.metadata.tables for r in db.execute(text(f"SELECT * FROM {t}")))
    for clear in ("6222 0212 3456 7890", "6222021234567890", "3456 7890", "１３８ ０００１ ２３４５", "13800012345"):
        assert clear not in stored, f"{clear} is in the audit database in clear"

    assert client.post(f"/api/tickets/{ticket_id}/reveal/contact",
                       headers=accounts["carol"].headers).status_code == 403  # customers never reveal
    revealed = client.post(f"/api/tickets/{ticket_id}/reveal/contact", headers=accounts["sam"].headers)
    assert revealed.status_code == 200 and revealed.json()["value"] == "１３８ ０００１ ２３４５"
    with open_audit_log(settings) as audit:
        (event,) = audit.events(subject=f"handoff:{ticket_id}", action_prefix=REVEAL_ACTION)
    assert event.actor == "sam" and event.detail == {"slot": "contact"}
    missing = client.post(f"/api/tickets/{ticket_id}/reveal/date", headers=accounts["sam"].headers)
    assert missing.status_code == 404 and "no sealed value" in missing.json()["detail"]


def test_the_customer_sees_the_staff_reply_on_the_next_poll_and_stream(client, accounts):
    reply = _complain(client, accounts["carol"])
    session, seen = reply["session_id"], reply["turn_n"]
    before = client.get(f"/api/sessions/{session}?after={seen}", headers=accounts["carol"].headers).json()
    assert before["turns"] == []

    sent = client.post(f"/api/tickets/{reply['ticket']}/reply", json={"text": "您好，我是客服小李，多扣的年费已退回。"},
                       headers=accounts["sam"].headers)
    assert sent.status_code == 200 and sent.json()["ticket"]["assignee"] == "sam"

    polled = client.get(f"/api/sessions/{session}?after={seen}", headers=accounts["carol"].headers).json()["turns"]
    assert [(t["role"], t["author"]) for t in polled] == [("staff", "sam")]
    assert "年费已退回" in polled[0]["text"]

    with client.stream("POST", "/api/ask/stream", json={"question": "谢谢", "session_id": session, "after_turn": seen},
                       headers=accounts["carol"].headers) as response:
        events = read_sse(response)
    names = [name for name, _ in events]
    assert names[0] == "session" and names[1] == "staff" and names[-1] == "final"
    assert "年费已退回" in events[1][1]["text"]


def test_a_closed_ticket_leaves_the_queue_and_takes_no_more_replies(client, accounts):
    reply = _complain(client, accounts["dave"])
    closed = client.post(f"/api/tickets/{reply['ticket']}/close", headers=accounts["sam"].headers)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert reply["ticket"] not in [t["id"] for t in client.get("/api/tickets", headers=accounts["sam"].headers).json()]
    late = client.post(f"/api/tickets/{reply['ticket']}/reply", json={"text": "还在吗"},
                       headers=accounts["sam"].headers)
    assert late.status_code == 409 and "closed" in late.json()["detail"]


def test_an_unknown_ticket_is_404_and_a_bad_status_filter_is_explained(client, accounts):
    assert client.get("/api/tickets/nope", headers=accounts["sam"].headers).status_code == 404
    bad = client.get("/api/tickets?status=pending", headers=accounts["sam"].headers)
    assert bad.status_code == 422 and "open, assigned, closed" in bad.json()["detail"]


def test_feedback_is_stored_with_the_reply_turn(client, accounts, settings):
    from agent.records.audit import AuditLog, audit_url

    reply = _complain(client, accounts["carol"])
    rated = client.post(f"/api/sessions/{reply['session_id']}/feedback",
                        json={"turn_id": reply["turn_id"], "value": -1}, headers=accounts["carol"].headers)
    assert rated.status_code == 200
    with AuditLog(audit_url(settings)) as audit:
        turn = next(t for t in audit.transcript(reply["session_id"]) if t.id == reply["turn_id"])
    assert turn.feedback == -1


def test_feedback_on_a_customer_turn_or_with_a_bad_value_is_refused(client, accounts):
    reply = _complain(client, accounts["carol"])
    own_turn = reply["turn_id"] - 1
    wrong = client.post(f"/api/sessions/{reply['session_id']}/feedback", json={"turn_id": own_turn, "value": 1},
                        headers=accounts["carol"].headers)
    assert wrong.status_code == 422 and "customer turn" in wrong.json()["detail"]
    silly = client.post(f"/api/sessions/{reply['session_id']}/feedback", json={"turn_id": reply["turn_id"], "value": 5},
                        headers=accounts["carol"].headers)
    assert silly.status_code == 422


def test_an_empty_question_is_rejected_with_a_clear_error(client, accounts):
    response = client.post("/api/ask", json={"question": "   "}, headers=accounts["carol"].headers)
    assert response.status_code == 422 and "empty" in response.json()["detail"]

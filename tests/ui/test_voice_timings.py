"""A spoken turn's stage timings: the page reports its marks, the server adds its own and keeps the
timeline with the reply in the audit log. No LLM is involved (a complaint is answered by the dialogue)."""

from __future__ import annotations

COMPLAINT = "我要投诉，上个月的年费被多扣了"
MARKS = {"end_of_turn": 720, "transcript": 2900, "question_sent": 2960, "first_audio": 3800, "first_mouth": 3830}


def _reply(client, account) -> dict:
    response = client.post("/api/ask", json={"question": COMPLAINT}, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _url(reply: dict, turn_id: int | None = None) -> str:
    return f"/api/sessions/{reply['session_id']}/turns/{turn_id or reply['turn_id']}/voice-timings"


def test_the_pages_marks_are_stored_with_the_reply_as_a_timeline_in_order(client, accounts, settings):
    from agent.records.audit import AuditLog, audit_url
    from voice.turn_timings import STORED_PREFIX, from_stored

    reply = _reply(client, accounts["carol"])
    stored = client.post(_url(reply), json=MARKS, headers=accounts["carol"].headers)
    assert stored.status_code == 200, stored.text
    timeline = stored.json()["timeline_ms"]
    assert timeline["first_mouth"] == 3830 and timeline["transcript"] == 2900
    assert list(timeline.values()) == sorted(timeline.values()), timeline
    with AuditLog(audit_url(settings)) as audit:
        turn = next(t for t in audit.transcript(reply["session_id"]) if t.id == reply["turn_id"])
        assert turn.timings["voice_first_audio_ms"] == 3800
        assert "total" in turn.timings, "the reply's own timings are kept"
        assert from_stored(audit.recent_timings(STORED_PREFIX)[0]) == timeline


def test_marks_for_another_customers_reply_or_a_customer_turn_are_refused(client, accounts):
    reply = _reply(client, accounts["carol"])
    stranger = client.post(_url(reply), json=MARKS, headers=accounts["dave"].headers)
    assert stranger.status_code in (403, 404)
    own_question = client.post(_url(reply, reply["turn_id"] - 1), json=MARKS, headers=accounts["carol"].headers)
    assert own_question.status_code == 404 and "no reply" in own_question.json()["detail"]


def test_marks_that_go_back_in_time_are_rejected_with_the_reason(client, accounts):
    reply = _reply(client, accounts["carol"])
    backwards = client.post(_url(reply), json={**MARKS, "transcript": 100}, headers=accounts["carol"].headers)
    assert backwards.status_code == 422 and "back in time" in backwards.text

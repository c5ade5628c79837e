"""Asking over HTTP with the real LLM: server-sent events stream the answer, then the cited final reply."""

from __future__ import annotations

import pytest

from tests.ui.conftest import read_sse

pytestmark = pytest.mark.slow


def test_the_stream_sends_deltas_then_a_final_reply_with_citations(client, accounts):
    with client.stream("POST", "/api/ask/stream", json={"question": "犹豫期内退保能全额退还保费吗？"},
                       headers=accounts["carol"].headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_sse(response)
    names = [name for name, _ in events]
    assert names[0] == "session" and names[-1] == "final" and "delta" in names
    assert names.index("delta") < names.index("final")
    final = events[-1][1]
    spoken = [data["text"] for name, data in events if name == "speakable"]
    assert spoken and names.index("speakable") < names.index("final"), "a voice can start before the final"
    assert all(s.rstrip("。.") [:8] in final["text"] for s in spoken), (spoken, final["text"])
    assert not final["refused"] and final["intent"] == "question"
    assert final["citations"] and "犹豫期" in str(final["citations"])
    assert {"retrieve", "total"} <= set(final["timings"]) and final["turn_id"]
    transcript = client.get(f"/api/sessions/{final['session_id']}", headers=accounts["carol"].headers).json()
    assert [t["role"] for t in transcript["turns"]] == ["customer", "assistant"]
    assert transcript["turns"][1]["citations"]


def test_a_question_outside_the_documents_is_refused_in_the_stream(client, accounts):
    with client.stream("POST", "/api/ask/stream", json={"question": "明天股市会涨吗？"},
                       headers=accounts["carol"].headers) as response:
        events = read_sse(response)
    final = events[-1][1]
    assert events[-1][0] == "final" and final["refused"] and final["citations"] == []

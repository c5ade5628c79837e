"""The timeline of a spoken turn joins the page's marks and the server's stage timings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from voice.turn_timings import STAGES, BrowserMarks, summarize, timeline

MARKS = BrowserMarks(end_of_turn=700, transcript=2500, question_sent=2550, first_audio=9000, first_mouth=9040)
SERVER = {"guard": 0.004, "retrieve": 0.046, "first_token": 5.2, "first_sentence": 6.1, "total": 9.0}


def test_server_stages_are_anchored_at_the_moment_the_question_was_sent():
    points = timeline(MARKS, SERVER)
    assert points["retrieved"] == pytest.approx(2550 + 50)
    assert points["first_token"] == pytest.approx(2600 + 5200)
    assert points["first_sentence"] == pytest.approx(2550 + 6100)
    assert list(points) == [s for s in STAGES if s in points], "stages come out in the order they happen"


def test_a_reply_without_generation_has_no_token_stages():
    points = timeline(MARKS, {"guard": 0.001, "total": 0.01})
    assert "first_token" not in points and "retrieved" not in points and points["first_audio"] == 9000


def test_marks_that_go_back_in_time_are_refused():
    with pytest.raises(ValidationError, match="back in time"):
        BrowserMarks(end_of_turn=700, transcript=500, question_sent=800)


def test_the_summary_gives_counts_medians_and_95th_percentiles_per_stage():
    turns = [{"first_audio": float(v), "transcript": 2000.0} for v in range(1000, 21000, 1000)]  # 20 turns
    summary = summarize(turns)
    assert summary["first_audio"] == {"n": 20, "p50": 10500.0, "p95": 19000.0}
    assert summary["transcript"]["p50"] == 2000.0 and "first_mouth" not in summary


def test_generated_replies_are_summarised_apart_from_the_rest():
    from voice.turn_timings import GENERATED, NOT_GENERATED, summary_rows

    generated = [{"first_token": 6000.0, "first_audio": 9000.0}, {"first_token": 7000.0, "first_audio": 11000.0}]
    faq = [{"first_audio": 2000.0}]
    rows = summary_rows([*generated, *faq])
    assert [GENERATED, "first_audio", 2, 10000.0, 11000.0] in rows
    assert [NOT_GENERATED, "first_audio", 1, 2000.0, 2000.0] in rows
    assert [r[0] for r in rows] == [GENERATED, GENERATED, NOT_GENERATED], "grouped, stages in order"

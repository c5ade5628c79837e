"""The trainer page is a real Gradio app that a FastAPI server serves (the lead mounts it at /trainer)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import httpx
import pytest
from fastapi import FastAPI

from agent.trainer.clauses import Clause
from agent.trainer.quiz import Quiz, QuizItem, grade_choice
from agent.trainer.trainer import Trainer
from settings import Settings
from tests.serving import serving
from ui.pages.trainer import build_trainer_page, quiz_transcript, rubric_html


@pytest.fixture
def trainer_server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    page = build_trainer_page(settings, Trainer(settings))
    assert isinstance(page, gr.Blocks)
    app = gr.mount_gradio_app(FastAPI(), page, path="/trainer", ssr_mode=False)
    with serving(app) as url:
        yield url + "/trainer"


def test_the_page_is_served_with_its_four_tabs_and_the_personas(trainer_server: str) -> None:
    page = httpx.get(trainer_server + "/", timeout=30)
    assert page.status_code == 200
    config = httpx.get(trainer_server + "/config", timeout=30).json()
    labels = {c.get("props", {}).get("label") for c in config["components"]}
    assert {"课程", "测验", "角色扮演", "学习进度"} <= labels  # built in Chinese, relabelled on load (?lang=en)
    persona_choices = next(c["props"]["choices"] for c in config["components"]
                           if c.get("props", {}).get("elem_id") == "persona")
    assert ["犹豫期内想退保的客户", "cooling-off-cancel"] in persona_choices
    avatar = next(c["props"]["value"] for c in config["components"] if c.get("props", {}).get("elem_id") == "avatar")
    assert 'data-name="海老师 Coach Hai"' in avatar  # one trainer persona presents the lessons


def test_a_customer_line_said_twice_is_a_new_value_each_time_so_the_avatar_says_it_again() -> None:
    """The 1.5B model sometimes repeats the customer's opening word for word; an unchanged hidden value
    would not fire the change that makes the avatar speak."""
    import json

    from ui.pages.trainer import _line

    first, again = _line("我就是要退。"), _line("我就是要退。")
    assert first != again and json.loads(first)["text"] == json.loads(again)["text"] == "我就是要退。"


def _mcq(clause: Clause, question: str) -> QuizItem:
    return QuizItem("mcq", question, "B", clause, ("10日", "15日", "20日", "30日"))


@pytest.fixture
def quiz(clause_of) -> Quiz:  # type: ignore[no-untyped-def]
    cooling_off = clause_of("medical_zh.md", "第十条 犹豫期")
    return Quiz("medical", (_mcq(cooling_off, "犹豫期是多久？"), _mcq(cooling_off, "犹豫期从哪天算起有多少日？")), 2,
                {"key_unsupported": 1})


def test_quiz_feedback_sits_under_its_own_question_and_the_quiz_ends_with_a_score(quiz: Quiz) -> None:
    first = grade_choice(quiz.items[0], "B")[1]
    after_one = quiz_transcript(quiz, [{"reply": "B", "score": 1.0, "feedback": first}], "zh")
    q1, q2 = after_one.index("犹豫期是多久？"), after_one.index("犹豫期从哪天算起有多少日？")
    assert q1 < after_one.index(first) < q2, "the feedback follows its question, before the next one"
    wrong = grade_choice(quiz.items[1], "D")[1]
    done = quiz_transcript(quiz, [{"reply": "B", "score": 1.0, "feedback": first},
                                  {"reply": "D", "score": 0.0, "feedback": wrong}], "zh")
    assert done.index(wrong) > done.index("犹豫期从哪天算起有多少日？")
    assert done.rstrip().endswith("测验结束：得分 1/2")
    assert "Quiz finished: 1/2" in quiz_transcript(quiz, [{"reply": "B", "score": 1.0, "feedback": first},
                                                          {"reply": "D", "score": 0.0, "feedback": wrong}], "en")


def test_nothing_on_the_quiz_or_rubric_is_a_python_repr(quiz: Quiz) -> None:
    from agent.trainer.rubric import CriterionScore, ReplyScore

    shown = quiz_transcript(quiz, [], "zh")
    score = ReplyScore((CriterionScore("disclosure", "告知犹豫期", 0.5, 1.0, "提到了15日"),))
    rubric = rubric_html(score, "en")
    for screen in (shown, rubric):
        assert not re.search(r"[{}]|\bdict\(|': ", screen), screen
    assert "<th>Criterion</th>" in rubric and "50%" in rubric and "50/100" in rubric

"""An eval run in this process answers through the same path as the app: a Conversation routes each case's
message, so what QA measures is what a customer gets."""

from __future__ import annotations

from agent.dialogue.conversation import Conversation
from evals.cases import Case
from evals.runner import InProcessTarget
from evals.suite import Mode


def _case(question: str) -> Case:
    return Case(id="c", question=question, reference_answer="", evidence=(), must_refuse=False, language="zh",
                source="test", tags=())


def test_a_complaint_case_gets_the_hand_off_a_customer_would_get(settings, demo_answerer):
    target = InProcessTarget(settings)
    collected = target.collect(_case("我要投诉，你们乱扣我信用卡年费"), Mode.ANSWER)

    app = Conversation(target.answerer).send("我要投诉，你们乱扣我信用卡年费")
    assert collected.reply is not None
    assert collected.reply["intent"] == "complaint" == app.intent.value
    assert collected.reply["text"] == app.text and "卡号" in collected.reply["text"]


def test_small_talk_is_greeted_not_searched(settings, demo_answerer):
    collected = InProcessTarget(settings).collect(_case("你好"), Mode.ANSWER)
    assert collected.reply is not None and collected.reply["intent"] == "small_talk"

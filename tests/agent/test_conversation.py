"""A session routes each message: complaints and claims collect their slots and open a hand-off ticket,
a request for a human opens one at once, small talk gets a fixed reply, questions go to the answerer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from agent import Answerer
from agent.dialogue.conversation import Conversation
from agent.dialogue.intents import classify_intent
from agent.dialogue.slots import extract_slots
from agent.policy.personal_data import mask_personal_data
from agent.records.audit import AuditLog
from agent.reply import Intent

TODAY = date(2026, 11, 22)
CARD = "6222600260001072444"


class CountingLLM:
    backend = "scripted"

    def __init__(self) -> None:
        self.calls = 0

    def stream(self, system: str, user: str) -> Iterator[str]:
        self.calls += 1
        yield "三年期定期存款的年利率为2.35%[1]。"


@pytest.fixture
def chat(settings, demo_answerer, tmp_path):
    llm = CountingLLM()
    answerer = Answerer(settings, demo_answerer.retriever.kb, llm)  # type: ignore[arg-type]
    audit = AuditLog(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    return Conversation(answerer, audit, today=TODAY), audit, llm


# ---- intents and slots ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我要投诉你们乱扣年费", Intent.COMPLAINT),
        ("This is unacceptable, I want to complain", Intent.COMPLAINT),
        ("我爸爸昨天住院了，要理赔", Intent.CLAIM_REPORT),
        ("I want to file a claim", Intent.CLAIM_REPORT),
        ("帮我转人工", Intent.HUMAN_REQUEST),
        ("Can I speak to a real person?", Intent.HUMAN_REQUEST),
        ("你好", Intent.SMALL_TALK),
        ("thanks!", Intent.SMALL_TALK),
        ("三年期定期存款利率是多少？", Intent.QUESTION),
        ("你好，犹豫期有多长？", Intent.QUESTION),
        # Questions about how complaints and claims work are answered from the documents, not ticketed.
        ("我投诉之后，多久能给我答复？", Intent.QUESTION),
        ("怎么投诉？", Intent.QUESTION),
        ("理赔需要什么材料？", Intent.QUESTION),
        ("I'm not happy with how you handled my complaint. Where can I escalate it?", Intent.QUESTION),
        ("How long does a claim take?", Intent.QUESTION),
        ("怎么转人工", Intent.HUMAN_REQUEST),
    ],
)
def test_messages_are_routed_to_their_intent(text, intent):
    assert classify_intent(text) is intent


def test_slots_are_read_from_the_customers_words():
    slots = extract_slots("我爸爸昨天住院了，保单号P20260012345，电话13812345678",
                          ("reference", "date", "what_happened", "contact"), TODAY)
    assert slots["reference"] == "P20260012345" and slots["contact"] == "13812345678"
    assert slots["date"] == "2026-11-21" and "住院" in slots["what_happened"]


@pytest.mark.parametrize("text", ["卡号6222021234567890被扣费", "卡号是6222 0212 3456 7890",
                                  "card number 6222-0212-3456-7890"])
def test_a_card_reference_is_kept_in_its_printed_groups_so_it_is_masked_wherever_it_is_stored(text):
    (reference,) = extract_slots(text, ("reference",), TODAY).values()
    assert reference == "6222 0212 3456 7890"
    assert mask_personal_data(reference) == "[银行卡号]"  # its check digit is wrong: the grouping marks it


def test_a_month_and_day_in_the_future_means_last_year():
    assert extract_slots("12月3日扣的费", ("date",), TODAY) == {"date": "2025-12-03"}


def test_a_bare_intent_sentence_does_not_count_as_describing_what_happened():
    assert extract_slots("我要投诉", ("what_happened",), TODAY) == {}


# ---- the session ---------------------------------------------------------------------------------


def test_a_complaint_asks_for_missing_slots_then_opens_a_ticket(chat):
    conversation, audit, llm = chat
    first = conversation.send("我要投诉，你们乱扣我信用卡年费")
    assert first.intent is Intent.COMPLAINT and not first.handoff and "卡号" in first.text
    second = conversation.send(f"卡号{CARD}")
    assert not second.handoff and "联系电话" in second.text
    third = conversation.send("13812345678")
    assert third.handoff and third.ticket and third.language == "zh" and "工单号" in third.text
    (ticket,) = audit.handoffs()
    assert ticket.id == third.ticket and ticket.reason.value == "complaint"
    assert set(ticket.slots) == {"reference", "what_happened", "contact"}
    assert ticket.slots["reference"] == "[银行卡号 尾号2444]" and ticket.slots["contact"] == "[电话 尾号5678]"
    assert llm.calls == 0


def test_a_claim_report_with_everything_in_one_message_opens_the_ticket_at_once(chat):
    conversation, audit, _ = chat
    reply = conversation.send("我爸爸昨天住院了要理赔，保单号P20260012345，电话13812345678")
    assert reply.handoff and reply.intent is Intent.CLAIM_REPORT
    assert audit.handoffs()[0].slots["date"] == "2026-11-21"


def test_asking_for_a_human_opens_a_ticket_immediately(chat):
    conversation, audit, _ = chat
    reply = conversation.send("帮我转人工")
    assert reply.handoff and reply.intent is Intent.HUMAN_REQUEST
    assert [h.reason.value for h in audit.handoffs()] == ["human_request"]


def test_small_talk_gets_a_fixed_greeting_in_the_customers_language(chat):
    conversation, _, llm = chat
    assert "小海" in conversation.send("你好").text
    assert conversation.send("hello").text.startswith("Hello")
    assert llm.calls == 0


def test_a_question_goes_to_the_answerer_and_every_turn_is_audited(chat):
    conversation, audit, llm = chat
    reply = conversation.send("三年期定期存款利率是多少？")
    assert llm.calls == 1 and "2.35%" in reply.text and reply.citations
    turns = audit.transcript(conversation.session_id)
    assert [t.role.value for t in turns] == ["customer", "assistant"]
    assert turns[1].citations


# ---- follow-ups ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["那五年期呢？", "五年期的呢", "What about the 5-year one?", "还有提前支取怎么算"])
def test_elliptic_questions_are_follow_ups(text):
    from agent.dialogue.followup import is_follow_up

    assert is_follow_up(text)


def test_a_standalone_question_is_not_a_follow_up():
    from agent.dialogue.followup import is_follow_up

    assert not is_follow_up("三年期定期存款利率是多少？")


def test_a_follow_up_retrieves_with_the_earlier_question_but_never_the_earlier_answer(chat):
    conversation, _, _ = chat
    seen: list[str] = []
    retriever = conversation.answerer.retriever
    original = retriever.run

    def spy(query, *args, **kwargs):
        seen.append(query)
        return original(query, *args, **kwargs)

    retriever.run = spy  # type: ignore[method-assign]
    conversation.send("三年期定期存款利率是多少？")
    conversation.send("那五年期呢？")
    assert seen[-1] == "三年期定期存款利率是多少？ 那五年期呢？"
    assert "2.35%" not in seen[-1]  # the first answer stays out of the query


def test_the_answerer_gets_one_question_value_with_its_language_and_the_question_it_continues(chat):
    from agent.question import Question

    conversation, _, _ = chat
    asked: list[Question] = []
    original = conversation.answerer.stream

    def spy(question, *args, **kwargs):
        asked.append(question)
        return original(question, *args, **kwargs)

    conversation.answerer.stream = spy  # type: ignore[method-assign]
    conversation.send("What is the rate of a 3-year time deposit?")
    conversation.send("what about the 5-year one?")
    first = "What is the rate of a 3-year time deposit?"
    assert asked == [Question(first, "en"), Question("what about the 5-year one?", "en", previous=first)]
    assert asked[1].standalone == "What is the rate of a 3-year time deposit? what about the 5-year one?"


# ---- streaming -----------------------------------------------------------------------------------


def test_stream_yields_the_answer_pieces_then_one_final_reply(chat):
    from agent.reply import Delta, Final

    conversation, audit, llm = chat
    events = list(conversation.stream("三年期定期存款利率是多少？"))
    deltas = [e for e in events if isinstance(e, Delta)]
    assert deltas and isinstance(events[-1], Final)
    assert sum(isinstance(e, Final) for e in events) == 1
    streamed = "".join(d.text for d in deltas)
    assert streamed.startswith("三年期定期存款的年利率为2.35%[1]。")  # the model's words, then the disclosure
    assert streamed == events[-1].reply.text
    assert "2.35%" in events[-1].reply.text and events[-1].reply.citations
    turns = audit.transcript(conversation.session_id)
    assert [t.role.value for t in turns] == ["customer", "assistant"] and turns[1].citations


def test_stream_of_a_turn_that_is_no_question_is_a_single_final(chat):
    from agent.reply import Final

    conversation, audit, llm = chat
    events = list(conversation.stream("我要投诉，你们乱扣我信用卡年费"))
    assert len(events) == 1 and isinstance(events[0], Final)
    assert events[0].reply.intent is Intent.COMPLAINT and "卡号" in events[0].reply.text
    events = list(conversation.stream("你好"))
    assert len(events) == 1 and "小海" in events[0].reply.text
    assert llm.calls == 0 and len(audit.transcript(conversation.session_id)) == 4


def test_stream_fills_slots_across_turns_like_send(chat):
    from agent.reply import Final

    conversation, audit, _ = chat
    list(conversation.stream("我要投诉，你们乱扣我信用卡年费"))
    list(conversation.stream(f"卡号{CARD}"))
    (last,) = list(conversation.stream("13812345678"))
    assert isinstance(last, Final) and last.reply.handoff and last.reply.ticket == audit.handoffs()[0].id


def test_the_final_names_the_turn_the_audit_log_recorded_it_as(chat):
    from agent.reply import RecordedTurn

    conversation, audit, _ = chat
    finals = [list(conversation.stream(text))[-1] for text in ("你好", "三年期定期存款利率是多少？")]

    replies = [t for t in audit.transcript(conversation.session_id) if t.role.value == "assistant"]
    assert [f.turn for f in finals] == [RecordedTurn(t.id, t.n) for t in replies]
    assert [t.n for t in replies] == [2, 4]


def test_without_an_audit_log_the_final_names_no_turn(settings, demo_answerer):
    answerer = Answerer(settings, demo_answerer.retriever.kb, CountingLLM())  # type: ignore[arg-type]
    conversation = Conversation(answerer, audit=None, today=TODAY)
    assert list(conversation.stream("你好"))[-1].turn is None


def test_final_of_a_stream_without_a_final_is_an_error_not_a_silent_none():
    from agent.reply import Delta, final_of

    with pytest.raises(RuntimeError, match="without a final reply"):
        final_of(iter([Delta("半句")]))


def test_send_returns_the_final_of_the_stream(chat):
    conversation, _, _ = chat
    streamed = list(conversation.stream("三年期定期存款利率是多少？"))[-1].reply
    sent = conversation.send("三年期定期存款利率是多少？")
    assert sent.text == streamed.text and sent.citations == streamed.citations


def test_a_resumed_session_completes_follow_ups_with_its_earlier_questions(chat):
    conversation, audit, _ = chat
    conversation.send("存三年定期利息多少？")
    resumed = Conversation.resume(conversation.answerer, audit, conversation.session_id, today=TODAY)
    assert resumed.session_id == conversation.session_id and resumed.questions == ["存三年定期利息多少？"]
    reply = resumed.send("10万")
    assert "7,050.00元" in reply.text
    assert len(audit.transcript(conversation.session_id)) == 4


def test_resuming_an_unknown_session_is_an_error_naming_it(chat):
    from agent.records.audit import UnknownSessionError

    conversation, audit, _ = chat
    with pytest.raises(UnknownSessionError, match="nope"):
        Conversation.resume(conversation.answerer, audit, "nope")

"""The checks that keep generated quiz keys and lesson points tied to their clause (drafts as the model
writes them, checked against real demo clauses)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from agent.trainer.clauses import Clause
from agent.trainer.lesson import check_point, parse_points
from agent.trainer.materials import Material, focus
from agent.trainer.quiz import QuizItem, grade_choice, parse_item, verify_item
from knowledge import Document
from knowledge.documents import DocumentKind

ClauseOf = Callable[[str, str], Clause]
META = ["不能说", "不要说", "误以为", "不要", "不能"]


@pytest.fixture
def cooling_off(clause_of: ClauseOf) -> Clause:
    return clause_of("medical_zh.md", "第十条 犹豫期")


def mcq(clause: Clause, options: tuple[str, ...], answer: str, quote: str = "") -> QuizItem:
    return QuizItem("mcq", "海湾百万医疗保险的犹豫期是多久？", answer, clause, options, quote)


def test_parses_a_drafted_multiple_choice_item(cooling_off: Clause) -> None:
    draft = "问题：海湾百万医疗保险的犹豫期是多久？\nA：10日\nB：15日\nC：20日\nD：30日\n答案：B\n依据：有15日的犹豫期"
    item = parse_item(draft, "mcq", cooling_off)
    assert item is not None and item.options == ("10日", "15日", "20日", "30日") and item.answer == "B"
    assert verify_item(item) is None


def test_a_draft_missing_a_field_is_malformed(cooling_off: Clause) -> None:
    assert parse_item("问题：犹豫期多久？\nA：10日\nB：15日\n答案：B", "mcq", cooling_off) is None
    assert parse_item("问题：犹豫期多久？", "open", cooling_off) is None


def test_discards_a_key_the_clause_does_not_support(cooling_off: Clause) -> None:
    assert verify_item(mcq(cooling_off, ("10日", "15日", "20日", "30日"), "D")) == "key_unsupported"


def test_discards_an_item_whose_distractor_the_clause_also_supports(cooling_off: Clause) -> None:
    options = ("无息退还所支付的全部保险费", "扣除手续费后退还", "本合同即被解除", "不予退还")
    assert verify_item(mcq(cooling_off, options, "A")) == "distractor_also_supported"


def test_discards_a_quote_that_is_not_in_the_clause(cooling_off: Clause) -> None:
    item = mcq(cooling_off, ("10日", "15日", "20日", "30日"), "B", quote="犹豫期内退保需支付20%的手续费并由业务员审批")
    assert verify_item(item) == "quote_not_in_clause"


def test_open_item_key_must_come_from_the_clause(cooling_off: Clause) -> None:
    good = QuizItem("open", "犹豫期内解除合同退多少？", "无息退还您所支付的全部保险费", cooling_off)
    bad = QuizItem("open", "犹豫期内解除合同退多少？", "退还现金价值并扣除30%的手续费", cooling_off)
    assert verify_item(good) is None and verify_item(bad) == "key_unsupported"


def test_grading_a_choice_quotes_the_clause(cooling_off: Clause) -> None:
    item = mcq(cooling_off, ("10日", "15日", "20日", "30日"), "B")
    assert grade_choice(item, "B")[0]
    correct, feedback = grade_choice(item, "我选D")
    assert not correct and "你选了D" in feedback and "《海湾百万医疗保险条款》第十条 犹豫期：「" in feedback


def test_lesson_draft_lines_are_parsed_by_category() -> None:
    draft = "【要点】犹豫期为15日[1]\n说明文字\n- 【禁止说】不能说犹豫期退保要扣费\n【闲聊】你好"
    categories = {"要点": "key_point", "禁止说": "never_say"}
    assert parse_points(draft, categories) == [("key_point", "犹豫期为15日[1]"),
                                               ("never_say", "不能说犹豫期退保要扣费")]


def test_a_supported_lesson_point_cites_its_clause(cooling_off: Clause) -> None:
    point = check_point("key_point", "自签收本合同次日起有15日的犹豫期[1]", cooling_off, META)
    assert point is not None and point.clauses == (cooling_off,)


def test_drops_a_point_the_clause_does_not_support(cooling_off: Clause) -> None:
    assert check_point("key_point", "犹豫期为30日，退保需缴纳违约金", cooling_off, META) is None


def test_drops_a_point_that_only_names_the_document(cooling_off: Clause) -> None:
    assert check_point("key_point", "《海湾百万医疗保险条款》第十条 犹豫期", cooling_off, META) is None


def test_drops_a_never_say_that_restates_the_rule_itself(cooling_off: Clause) -> None:
    restated = "不能说我们将无息退还您所支付的全部保险费"
    flipped = "不能说犹豫期内解除合同我们不退还保险费"
    assert check_point("never_say", restated, cooling_off, META) is None
    kept = check_point("never_say", flipped, cooling_off, META)
    assert kept is not None and kept.text == flipped


def test_lesson_cache_key_changes_with_the_documents_content() -> None:
    def doc(content_hash: str) -> Document:
        return Document("d1", "海湾百万医疗保险条款", "medical_zh.md", DocumentKind.PRODUCT, "zh", content_hash,
                        effective_date=date(2026, 1, 1))

    old, new = Material("medical", (doc("aaa"),), ()), Material("medical", (doc("bbb"),), ())
    assert old.content_key("lesson", "2") == Material("medical", (doc("aaa"),), ()).content_key("lesson", "2")
    assert old.content_key("lesson", "2") != new.content_key("lesson", "2")
    assert old.content_key("lesson", "2") != old.content_key("lesson", "3")


def test_focus_prefers_clauses_whose_heading_names_a_focus_term_and_skips_the_preamble() -> None:
    def clause(section: str, text: str) -> Clause:
        return Clause(section, "条款", section, text)

    preamble = clause("条款", "请特别注意犹豫期、等待期、免赔额、责任免除。")
    clauses = (preamble, clause("条款 > 第一条 合同构成", "本合同由保险单构成。"),
               clause("条款 > 第五条 等待期", "30日内为等待期。"),
               clause("条款 > 第九条 保险费", "犹豫期后交费。"),
               clause("条款 > 第十条 犹豫期", "15日的犹豫期。"))
    chosen = focus(clauses, ["犹豫期", "等待期"], 2)
    assert [c.section for c in chosen] == ["条款 > 第五条 等待期", "条款 > 第十条 犹豫期"]  # document order
    assert focus((preamble,), ["犹豫期"], 2) == [preamble]  # nothing else left


def test_a_number_must_appear_with_its_unit(clause_of: ClauseOf) -> None:
    deductible = clause_of("medical_zh.md", "第四条 保险金额、免赔额与赔付比例")  # has a list item "2."
    item = QuizItem("mcq", "本合同的年免赔额为多少？", "A", deductible, ("1万元", "2万元", "3万元", "4万元"))
    assert verify_item(item) is None
    wrong_key = QuizItem("mcq", "本合同的年免赔额为多少？", "B", deductible, ("1万元", "2万元", "3万元", "4万元"))
    assert verify_item(wrong_key) == "key_unsupported"


def test_days_written_as_tian_match_a_clause_written_with_ri(cooling_off: Clause) -> None:
    assert verify_item(mcq(cooling_off, ("10天", "15天", "20天", "30天"), "B")) is None

"""Role-play rubric rules: deterministic scores for good and bad staff replies (Chinese), clause quotes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent.trainer.clauses import Clause
from agent.trainer.roleplay import persona, personas
from agent.trainer.rubric import forbidden_promises, load_rubric, score_reply

ClauseOf = Callable[[str, str], Clause]

GOOD_COOLING_OFF = ("非常理解您的想法。您签收保单还在15日犹豫期内，可以申请解除合同，"
                    "我们会无息退还您所支付的全部保险费，不扣手续费。请您填写申请书，带上保险合同和有效身份证件，我可以帮您预约办理。")
BAD_COOLING_OFF = "退了就亏了，这个产品稳赚不赔，你自己看合同吧。"
GOOD_GUARANTEE = ("理解您希望收益稳定的心情。存款利率以本行挂牌为准，三年期定期存款年利率为2.35%，"
                  "利率可能根据市场情况调整，我们不能保证5%的收益。本产品依法受存款保险保障。您可以先到柜台了解，我帮您安排。")
BAD_GUARANTEE = "放心，我们这款保本稳赚，一年5%没问题，guaranteed。"


@pytest.fixture
def cooling_off_evidence(clause_of: ClauseOf) -> list[Clause]:
    return [clause_of("term_life_zh.md", "第五条 犹豫期"),
            clause_of("term_life_zh.md", "第十九条 您解除合同的手续及风险")]


@pytest.fixture
def deposit_evidence(clause_of: ClauseOf) -> list[Clause]:
    return [clause_of("time_deposit_zh.md", "三、存款利率"), clause_of("time_deposit_zh.md", "七、存款保险")]


def test_a_good_cooling_off_reply_scores_high_on_every_criterion(cooling_off_evidence: list[Clause]) -> None:
    score = score_reply(GOOD_COOLING_OFF, persona("cooling-off-cancel").disclosures, cooling_off_evidence)
    assert score.total >= 85
    assert score.by_name("disclosures").score == 1.0
    assert score.by_name("forbidden").score == 1.0
    assert score.by_name("empathy").score == 1.0
    assert score.by_name("next_step").score == 1.0
    assert score.by_name("accuracy").score >= 0.6
    assert "《海湾守护定期寿险条款》" in score.by_name("accuracy").feedback


def test_a_bad_cooling_off_reply_fails_and_the_feedback_quotes_the_clause(cooling_off_evidence: list[Clause]) -> None:
    score = score_reply(BAD_COOLING_OFF, persona("cooling-off-cancel").disclosures, cooling_off_evidence)
    assert score.total < 20
    assert score.by_name("forbidden").score == 0.0 and "稳赚不赔" in score.by_name("forbidden").feedback
    assert score.by_name("empathy").score == 0.0 and "你自己看" in score.by_name("empathy").feedback
    disclosures = score.by_name("disclosures")
    assert disclosures.score == 0.0
    assert "说明15日犹豫期" in disclosures.feedback
    assert "无息退还您所支付的全部保险费" in disclosures.feedback  # quoted from 第五条


def test_guaranteed_return_promises_are_caught_but_denials_are_not(deposit_evidence: list[Clause]) -> None:
    guarantee = persona("guaranteed-returns")
    good = score_reply(GOOD_GUARANTEE, guarantee.disclosures, deposit_evidence)
    bad = score_reply(BAD_GUARANTEE, guarantee.disclosures, deposit_evidence)
    assert good.by_name("forbidden").score == 1.0
    assert good.by_name("disclosures").score == 1.0
    assert bad.by_name("forbidden").score == 0.0
    assert good.total - bad.total >= 50


@pytest.mark.parametrize(("reply", "found"), [
    ("这款产品保本保息。", ["保本"]),
    ("本产品不保本，存在风险。", []),
    ("我们不能保证收益，也并非零风险。", []),
    ("稳赚不赔的产品我们没有。", ["稳赚不赔"]),  # a promise-shaped phrase with no negation before it
    ("It is guaranteed.", ["guaranteed"]),
    ("Returns are not guaranteed.", []),
])
def test_forbidden_phrase_rule(reply: str, found: list[str]) -> None:
    assert forbidden_promises(reply, load_rubric()["criteria"]["forbidden"]) == found


def test_a_reply_without_any_factual_claim_gets_no_accuracy_credit(cooling_off_evidence: list[Clause]) -> None:
    score = score_reply("您好，非常理解您的心情。", persona("cooling-off-cancel").disclosures, cooling_off_evidence)
    assert score.by_name("accuracy").score == 0.0
    assert score.by_name("empathy").score == 1.0


def test_an_unsupported_claim_lowers_accuracy_and_names_the_sentence(cooling_off_evidence: list[Clause]) -> None:
    reply = "犹豫期内可以解除合同，无息退还全部保险费。另外退保要收取20%的手续费。"
    accuracy = score_reply(reply, (), cooling_off_evidence).by_name("accuracy")
    assert accuracy.score == 0.5
    assert "20%的手续费" in accuracy.feedback and "请对照《海湾守护定期寿险条款》" in accuracy.feedback


def test_scores_are_deterministic(cooling_off_evidence: list[Clause]) -> None:
    disclosures = persona("cooling-off-cancel").disclosures
    first = score_reply(GOOD_COOLING_OFF, disclosures, cooling_off_evidence).to_dict()
    assert all(score_reply(GOOD_COOLING_OFF, disclosures, cooling_off_evidence).to_dict() == first for _ in range(3))


def test_the_four_personas_are_defined_as_data_with_disclosures() -> None:
    assert set(personas()) == {"angry-claimant", "elderly-early-withdrawal", "guaranteed-returns", "cooling-off-cancel"}
    assert all(p.disclosures and p.opening and p.situation for p in personas().values())
    with pytest.raises(ValueError, match="choose one of"):
        persona("nobody")


def test_rubric_weights_sum_to_one() -> None:
    assert sum(c["weight"] for c in load_rubric()["criteria"].values()) == pytest.approx(1.0)


def test_courtesy_sentences_are_not_held_to_the_documents(deposit_evidence: list[Clause]) -> None:
    accuracy = score_reply(GOOD_GUARANTEE, persona("guaranteed-returns").disclosures, deposit_evidence)
    assert accuracy.by_name("accuracy").score == 1.0

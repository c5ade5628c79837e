"""Lesson points a trainee can learn from: a heading or a broken sentence the model drafted as a point is
dropped even though the clause's own words support it (real demo clauses)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent.trainer.clauses import Clause
from agent.trainer.lesson import check_point, is_fragment

META = ["不能说", "不要说", "误以为", "不要", "不能"]
ClauseOf = Callable[[str, str], Clause]


@pytest.fixture
def cooling_off(clause_of: ClauseOf) -> Clause:
    return clause_of("medical_zh.md", "第十条 犹豫期")


@pytest.fixture
def renewal(clause_of: ClauseOf) -> Clause:
    return clause_of("medical_zh.md", "第十一条 续保")


@pytest.mark.parametrize("heading", ["（一）本产品为不保证续保产品", "## 不保证续保产品", "**本产品为不保证续保产品**"])
def test_drops_a_point_that_is_only_a_heading_of_the_clause(renewal: Clause, heading: str) -> None:
    assert check_point("key_point", heading, renewal, META) is None


@pytest.mark.parametrize("broken", [
    "如果您认为本合同与您的需求不相符，您可以提出解除本合同的",  # cut off
    "您可以提出解除本合同，我们将无息退还您所支付的全部保险费（",  # a bracket never closed
    "，我们将无息退还您所支付的全部保险费",  # starts mid-sentence
    "自您签收本合同次日起，有15日的犹豫期：",  # a lead-in to a list that never came
])
def test_drops_a_broken_sentence(cooling_off: Clause, broken: str) -> None:
    assert check_point("key_point", broken, cooling_off, META) is None


def test_keeps_a_whole_sentence_even_when_it_opens_with_a_clause_number(renewal: Clause, cooling_off: Clause) -> None:
    kept = check_point("key_point", "（一）本产品为不保证续保产品，保险期间届满需要重新申请投保[1]", renewal, META)
    assert kept is not None
    assert check_point("key_point", "自签收本合同次日起有15日的犹豫期[1]", cooling_off, META) is not None


def test_fragment_rules_leave_ordinary_points_alone() -> None:
    assert not is_fragment("犹豫期为15日")
    assert not is_fragment("不能说犹豫期内解除合同我们不退还保险费")
    assert not is_fragment("三年期利率为2.35%（整存整取）")
    assert is_fragment("第五条 等待期") and is_fragment("5.3 等待期") and is_fragment("保险责任：")

"""The LLM faithfulness judge: majority of several votes, the lexical rule when the votes do not decide."""

from __future__ import annotations

import socket

import pytest

from agent.llm import ChatLLM
from evals.judge import LlmJudge, read_vote
from evals.metrics import faithfulness

MEDICAL = "本合同的年免赔额为1万元。经社会基本医疗保险结算的，赔付比例为100%；未经结算的，赔付比例为60%。"


@pytest.mark.parametrize("text, vote", [("YES", True), (" yes.", True), ("是", True), ("NO", False),
                                        ("No, it does not", False), ("不支持", False), ("Maybe", None), ("", None)])
def test_votes_are_read_from_the_first_word(text, vote):
    assert read_vote(text) is vote


def test_an_unreachable_model_falls_back_to_the_lexical_rule_and_counts_it(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = settings.model_copy(update={"llm_base_url": f"http://127.0.0.1:{port}/v1", "llm_timeout_s": 2.0})
    judge = LlmJudge(ChatLLM(dead), samples=2)
    assert faithfulness("本合同年免赔额为1万元[1]。未经医保结算的赔付比例为80%[1]。", {1: MEDICAL}, judge) == 0.5
    assert judge.stats.sentences == 2 and judge.stats.fallbacks == 2


@pytest.mark.slow
def test_the_packaged_llm_judges_a_supported_and_an_invented_claim(demo_answerer):
    # Greedy, so the test is deterministic: the sampled votes (temperature 0.7) split 3:2 the wrong way
    # often enough to fail CI now and then; what is tested is the model, the prompt and the parsing.
    judge = LlmJudge(demo_answerer.llm, samples=1, temperature=0.0)
    assert judge("本合同的年免赔额为1万元。", MEDICAL) is True
    assert judge("本合同没有免赔额，所有费用都100%赔付。", MEDICAL) is False
    assert judge.stats.sentences == 2

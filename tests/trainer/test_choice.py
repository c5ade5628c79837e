"""Reading the option letter out of an LLM's or a trainee's free-text answer."""

from __future__ import annotations

import pytest

from agent.trainer.choice import parse_choice

OPTIONS = ("原保险", "再保险", "共同保险", "重复保险")


@pytest.mark.parametrize(("reply", "letter"), [
    ("B", "B"),
    ("答案：C", "C"),
    ("答案是 D。", "D"),
    ("正确答案为（A）", "A"),
    ("（D）", "D"),
    ("选A。", "A"),
    ("C. 共同保险", "C"),
    ("B、再保险，因为分出公司……", "B"),
    ("我认为正确答案是 B，因为……", "B"),
    ("A和B都不对，应选C", "C"),
    ("The answer is D.", "D"),
    ("Ｂ", "B"),  # full-width letter
    ("再保险", "B"),  # the option's text, no letter
])
def test_reads_the_committed_letter(reply: str, letter: str) -> None:
    assert parse_choice(reply, OPTIONS) == letter


@pytest.mark.parametrize("reply", ["", "   ", "A或B", "AB", "我不确定", "保险"])
def test_returns_none_when_the_reply_commits_to_no_single_option(reply: str) -> None:
    assert parse_choice(reply, OPTIONS) is None

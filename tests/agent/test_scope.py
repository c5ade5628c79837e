"""Requests no document can support are declined before retrieval; ordinary questions are not."""

from __future__ import annotations

import pytest

from agent.policy.scope import out_of_scope


@pytest.mark.parametrize(
    ("question", "language", "topic"),
    [
        ("明天股市会涨吗？", "zh", "market_prediction"),
        ("下周基金走势怎么样？", "zh", "market_prediction"),
        ("Will the stock market go up next week?", "en", "market_prediction"),
        ("买哪只股票好？", "zh", "investment_advice"),
        ("Which stock should I buy this week?", "en", "investment_advice"),
        ("你们能保证这个理财产品年化收益10%吗？", "zh", "guaranteed_return"),
        ("Can you guarantee a 5% return?", "en", "guaranteed_return"),
        ("招商银行的信用卡年费是多少？", "zh", "other_institution"),
        ("Is the HSBC savings rate better?", "en", "other_institution"),
    ],
)
def test_declines_requests_outside_what_documents_can_support(question: str, language: str, topic: str):
    verdict = out_of_scope(question, language)
    assert verdict is not None and verdict.topic == topic
    assert verdict.reason  # shown to the customer in their language


@pytest.mark.parametrize(
    "question",
    [
        "三年期定期存款利率是多少？",
        "犹豫期内退保能全额退还保费吗？",
        "续保时保费会涨吗？",
        "中国银行保险监督管理委员会的投诉电话是多少？",
        "How do I report a lost card? I bought something for a purchase abroad.",
        "What is the waiting period of the medical insurance?",
    ],
)
def test_lets_ordinary_product_questions_through(question: str):
    assert out_of_scope(question, "zh") is None

"""Hybrid retrieval (dense + BM25) with filters, on a tiny knowledge base and on the demo one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from langchain_core.documents import Document as LCDocument

from knowledge.demo import demo_documents
from knowledge.documents import Audience, Document, DocumentKind
from knowledge.embedding import E5Embeddings
from knowledge.langchain_retriever import KnowledgeRetriever
from knowledge.retrieve import HybridRetriever, SearchFilters, current_versions, reciprocal_rank_fusion
from knowledge.store import KnowledgeBase

TINY_KB = {
    "deposit.md": """\
---
title: 定期存款产品说明
kind: product
audience: customer
products: [time-deposit]
---
# 定期存款产品说明

## 存款利率

三年期定期存款年利率为2.35%，存期内利率不变。
""",
    "teller.md": """\
---
title: 柜员操作手册
kind: training
audience: staff
products: [time-deposit]
---
# 柜员操作手册

## 提前支取审核

柜员办理定期存款提前支取时，须核验存款人身份证件并在系统中登记授权编号TLR-7781。
""",
    "classic_card.md": """\
---
title: Classic Card Fees (withdrawn)
kind: product
audience: customer
products: [credit-card]
effective_date: 2019-01-01
expiry_date: 2020-12-31
---
# Classic Card Fees (withdrawn)

## Annual fee

The Classic card annual fee was CNY 300 a year.
""",
    "journey_card.md": """\
---
title: Journey Card Fees
kind: faq
audience: customer
products: [credit-card]
---
# Journey Card Fees

## Annual fee

The Journey card annual fee is CNY 200 a year, waived after six purchases.
""",
}

ALL = {"定期存款产品说明", "柜员操作手册", "Classic Card Fees (withdrawn)", "Journey Card Fees"}


@pytest.fixture(scope="module")
def embedder() -> E5Embeddings:
    return E5Embeddings()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, embedder) -> HybridRetriever:
    root = tmp_path_factory.mktemp("tiny")
    docs = root / "docs"
    docs.mkdir()
    for name, text in TINY_KB.items():
        (docs / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase(root / "kb", embedder=embedder)
    report = kb.ingest([docs])
    assert report.failed == []
    return HybridRetriever(kb)


def _titles(evidence) -> set[str]:
    return {ev.document.title for ev in evidence}


# ---- basics -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_an_empty_query_returns_nothing(tiny, query):
    assert tiny.run(query) == []


def test_results_are_ranked_from_one_with_descending_fused_scores(tiny):
    evidence = tiny.run("信用卡年费 annual fee", top_k=3, filters=SearchFilters(as_of=date(2020, 6, 1)))
    assert [ev.rank for ev in evidence] == [1, 2, 3]
    scores = [ev.score for ev in evidence]
    assert scores == sorted(scores, reverse=True)
    assert all(ev.dense_score is not None and -1.0 <= ev.dense_score <= 1.0 for ev in evidence)


def test_top_k_limits_the_number_of_results(tiny):
    assert len(tiny.run("annual fee", top_k=1)) == 1


def test_a_keyword_only_code_finds_the_document_that_contains_it(tiny):
    evidence = tiny.run("TLR-7781", top_k=1)
    assert evidence[0].document.title == "柜员操作手册"
    assert evidence[0].keyword_score is not None and evidence[0].keyword_score > 0


def test_a_chunk_without_a_shared_keyword_has_no_keyword_score(tiny):
    evidence = tiny.run("TLR-7781", top_k=4, filters=SearchFilters(as_of=date(2020, 6, 1)))
    assert [ev.keyword_score is not None for ev in evidence] == [True, False, False, False]


def test_evidence_carries_a_citation_label_with_title_and_section(tiny):
    top = tiny.run("三年期定期存款年利率", top_k=1)[0]
    assert top.citation_label() == "定期存款产品说明 > 存款利率"


def test_reciprocal_rank_fusion_rewards_agreement_between_rankings():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 62)
    assert sorted(fused, key=lambda r: -fused[r]) == [1, 3, 2]


# ---- filters ----------------------------------------------------------------------------------


def test_without_filters_staff_documents_are_searchable(tiny):
    evidence = tiny.run("柜员办理定期存款提前支取", top_k=1)
    assert evidence[0].document.audience is Audience.STAFF


def test_customer_audience_never_sees_staff_documents(tiny):
    filters = SearchFilters(audience=Audience.CUSTOMER)
    evidence = tiny.run("柜员办理定期存款提前支取 TLR-7781", top_k=10, filters=filters)
    assert evidence, "customer documents still answer"
    assert all(ev.document.audience is Audience.CUSTOMER for ev in evidence)
    assert "柜员操作手册" not in _titles(evidence)


def test_staff_audience_sees_staff_and_customer_documents(tiny):
    evidence = tiny.run("定期存款", top_k=10, filters=SearchFilters(audience=Audience.STAFF))
    assert {"柜员操作手册", "定期存款产品说明"} <= _titles(evidence)


def test_an_expired_document_is_excluded_today(tiny):
    evidence = tiny.run("Classic card annual fee", top_k=10)
    assert "Classic Card Fees (withdrawn)" not in _titles(evidence)
    assert _titles(evidence) == ALL - {"Classic Card Fees (withdrawn)"}


def test_an_expired_document_is_found_when_searching_as_of_a_day_it_was_in_force(tiny):
    evidence = tiny.run("Classic card annual fee", top_k=1, filters=SearchFilters(as_of=date(2020, 6, 1)))
    assert evidence[0].document.title == "Classic Card Fees (withdrawn)"


def test_a_document_is_out_of_force_on_its_expiry_date_and_before_its_effective_date(tiny):
    for day in (date(2020, 12, 31), date(2018, 12, 31)):
        evidence = tiny.run("Classic card annual fee", top_k=10, filters=SearchFilters(as_of=day))
        assert "Classic Card Fees (withdrawn)" not in _titles(evidence), day
    evidence = tiny.run("Classic card annual fee", top_k=10, filters=SearchFilters(as_of=date(2020, 12, 30)))
    assert "Classic Card Fees (withdrawn)" in _titles(evidence)


def test_products_filter_keeps_only_documents_about_those_products(tiny):
    filters = SearchFilters(products=("credit-card",), as_of=date(2020, 6, 1))
    evidence = tiny.run("三年期定期存款年利率", top_k=10, filters=filters)
    assert _titles(evidence) == {"Classic Card Fees (withdrawn)", "Journey Card Fees"}


def test_kinds_and_language_filters(tiny):
    faq_only = tiny.run("annual fee", top_k=10, filters=SearchFilters(kinds=(DocumentKind.FAQ,)))
    assert _titles(faq_only) == {"Journey Card Fees"}
    chinese = tiny.run("annual fee", top_k=10, filters=SearchFilters(language="zh"))
    assert _titles(chinese) == {"定期存款产品说明", "柜员操作手册"}


def test_a_filter_that_admits_nothing_returns_nothing(tiny):
    assert tiny.run("annual fee", filters=SearchFilters(products=("mortgage",))) == []


# ---- LangChain ----------------------------------------------------------------------------------


def test_langchain_retriever_returns_documents_with_title_and_section(tiny):
    retriever = KnowledgeRetriever(retriever=tiny, top_k=2)
    results = retriever.invoke("三年期定期存款年利率是多少？")
    assert len(results) == 2
    assert all(isinstance(doc, LCDocument) for doc in results)
    top = results[0]
    assert "2.35%" in top.page_content
    assert top.metadata["title"] == "定期存款产品说明"
    assert top.metadata["section"] == "存款利率"
    assert top.metadata["rank"] == 1
    assert top.metadata["source"].endswith("deposit.md")
    assert top.id and top.id.startswith(top.metadata["document_id"] + ":")


def test_langchain_retriever_applies_its_filters(tiny):
    retriever = KnowledgeRetriever(retriever=tiny, top_k=10, filters=SearchFilters(audience=Audience.CUSTOMER))
    titles = {doc.metadata["title"] for doc in retriever.invoke("柜员 TLR-7781")}
    assert titles and "柜员操作手册" not in titles


# ---- the demo knowledge base ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory, embedder) -> HybridRetriever:
    kb = KnowledgeBase(tmp_path_factory.mktemp("demo") / "kb", embedder=embedder)
    report = kb.ingest([demo_documents()])
    assert len(report.added) == len(list(demo_documents().glob("*.md")))  # every demo document goes in
    assert report.failed == []
    return HybridRetriever(kb)


@pytest.mark.slow
def test_demo_three_year_deposit_rate_question_finds_the_rate_table_in_the_top_three(demo):
    hits = demo.run("三年期定期存款利率是多少？", top_k=5)
    assert hits[0].document.title == "海湾安享定期存款（整存整取）产品说明书"
    assert "2.35%" in hits[0].chunk.text  # the rate table, or the worked interest example that quotes it
    assert ("三、存款利率",) in [h.chunk.section_path for h in hits[:3]]
    assert any("| 3年 | 2.35% |" in h.chunk.text for h in hits[:3])


@pytest.mark.slow
def test_demo_english_question_finds_the_english_document(demo):
    evidence = demo.run("What is the annual fee for the credit card?", top_k=3)
    assert evidence[0].document.language == "en"
    assert evidence[0].document.title == "Harbour Journey Credit Card Product Terms and Fee Schedule"
    assert "Annual Fee" in evidence[0].chunk.section()


@pytest.mark.slow
def test_demo_hotline_number_is_found_by_keyword(demo):
    evidence = demo.run("95000-0000", top_k=5)
    assert all("95000-0000" in ev.chunk.text for ev in evidence)
    assert all(ev.keyword_score for ev in evidence)
    assert any(ev.document.kind is DocumentKind.FAQ for ev in evidence)


@pytest.mark.slow
def test_demo_documents_are_all_in_force_for_customers_today(demo):
    filters = SearchFilters(audience=Audience.CUSTOMER, as_of=date.today() + timedelta(days=1))
    evidence = demo.run("等待期", top_k=3, filters=filters)
    assert len(evidence) == 3
    assert any("等待期" in ev.chunk.text for ev in evidence)


# ---- replaced versions ---------------------------------------------------------------------------


def _law(doc_id: str, effective: date | None, title: str = "中华人民共和国反洗钱法") -> Document:
    return Document(id=doc_id, title=title, source=f"/laws/{doc_id}.md", kind=DocumentKind.REGULATION,
                    language="zh", content_hash=doc_id, effective_date=effective)


def test_of_two_versions_of_a_law_only_the_newest_in_force_is_kept():
    old, new = _law("aml-2006", date(2006, 10, 31)), _law("aml-2024", date(2024, 11, 8))
    assert [d.id for d in current_versions([old, new])] == ["aml-2024"]


def test_asked_as_of_a_day_before_the_revision_the_old_version_answers():
    old, new = _law("aml-2006", date(2006, 10, 31)), _law("aml-2024", date(2024, 11, 8))
    in_force_2020 = [d for d in (old, new) if SearchFilters(as_of=date(2020, 1, 1)).admits(d)]
    assert [d.id for d in current_versions(in_force_2020)] == ["aml-2006"]


def test_documents_without_dates_or_with_other_titles_are_never_dropped():
    undated = _law("faq", None, title="常见问题")
    other = _law("deposit-insurance", date(2015, 2, 17), title="存款保险条例")
    new = _law("aml-2024", date(2024, 11, 8))
    assert {d.id for d in current_versions([undated, other, new])} == {"faq", "deposit-insurance", "aml-2024"}


def test_several_documents_of_one_version_all_stay():
    parts = [_law("aml-2024-a", date(2024, 11, 8)), _law("aml-2024-b", date(2024, 11, 8)),
             _law("aml-2006", date(2006, 10, 31))]
    assert {d.id for d in current_versions(parts)} == {"aml-2024-a", "aml-2024-b"}

"""Uploads for review: drafts wait for a reviewer, only published documents reach customers, a changed
upload of a published document waits while the published version keeps answering; knowledge bases
built before reviews existed open with their documents published. Real store, real FAISS, real embedder."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from knowledge.documents import Audience, DocumentKind, DocumentStatus
from knowledge.embedding import E5Embeddings
from knowledge.metadata import metadata_changes, suggest_metadata
from knowledge.retrieve import HybridRetriever, SearchFilters
from knowledge.store import KnowledgeBase, ReviewConflict, UnknownDocument

CUSTOMER = SearchFilters(audience=Audience.CUSTOMER)
ADMIN = SearchFilters(include_drafts=True)

# A foreign insurer's wording, as uploaded: no front matter, no Markdown title.
FOREIGN = """\
远洋海外人寿保险股份有限公司
远洋环球医疗保险条款
本条款自2026年3月1日起施行。
第一条 保险责任
被保险人在境外因意外伤害住院的，本公司按住院费用的百分之九十给付医疗保险金。
第二条 等待期
本合同的等待期为一百八十日。
"""

RATES_V1 = "# 定期存款利率表\n\n## 三年期\n\n三年期定期存款年利率为2.35%。\n"
RATES_V2 = "# 定期存款利率表\n\n## 三年期\n\n三年期定期存款年利率调整为2.10%。\n"


@pytest.fixture(scope="module")
def embedder() -> E5Embeddings:
    return E5Embeddings()


@pytest.fixture
def kb(tmp_path, embedder) -> KnowledgeBase:
    return KnowledgeBase(tmp_path / "kb", embedder=embedder)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _texts(kb: KnowledgeBase, query: str, filters: SearchFilters) -> list[str]:
    return [ev.chunk.text for ev in HybridRetriever(kb).run(query, 5, filters)]


def test_an_upload_for_review_is_a_draft_no_customer_search_can_find(kb, tmp_path):
    path = _write(tmp_path / "up", "scan_0042.txt", FOREIGN)
    report = kb.ingest([path], draft=True, actor="ada")
    assert report.added and report.failed == []

    (draft,) = kb.drafts()
    assert draft.status is DocumentStatus.DRAFT and draft.uploaded_by == "ada" and draft.published_by == ""
    assert kb.documents() == [] and kb.snapshot().chunks == []  # nothing built on a snapshot can see it
    assert _texts(kb, "境外住院医疗费用赔多少", CUSTOMER) == []
    assert _texts(kb, "境外住院医疗费用赔多少", SearchFilters()) == []

    hits = HybridRetriever(kb).run("境外住院医疗费用赔多少", 5, ADMIN)
    assert hits and all(ev.document.is_draft for ev in hits)  # the admin's hit-test sees it, marked a draft


def test_a_draft_gets_its_metadata_from_its_content_not_its_file_name(kb, tmp_path):
    kb.ingest([_write(tmp_path / "up", "scan_0042.txt", FOREIGN)], draft=True,
              product_names={"medical": ("环球医疗保险",), "term-life": ("定期寿险",)})
    (draft,) = kb.drafts()
    assert draft.title == "远洋环球医疗保险条款"
    assert draft.kind is DocumentKind.PRODUCT and draft.audience is Audience.CUSTOMER
    assert draft.products == ("medical",)
    assert draft.effective_date == date(2026, 3, 1) and draft.expiry_date is None


def test_content_guesses_cover_kind_audience_and_expiry():
    guessed = suggest_metadata("内部培训资料\n# 理赔话术培训手册\n本手册自2026年3月1日起施行，有效期至2027年2月28日。\n", {})
    assert guessed["title"] == "理赔话术培训手册" and guessed["kind"] == "training"
    assert guessed["audience"] == "staff" and guessed["expiry_date"] == date(2027, 2, 28)
    rule = suggest_metadata("个人存款管理办法\n第一条 为规范个人存款业务……\n", {})
    assert rule["title"] == "个人存款管理办法" and rule["kind"] == "regulation"
    faq = suggest_metadata("# Card questions\n\nQ: How do I pay?\nA: Online.\nQ: Fees?\nA: None.\n"
                           "Effective date: 1 March 2026\n", {})
    assert faq["kind"] == "faq" and faq["effective_date"] == date(2026, 3, 1)


def test_front_matter_wins_over_content_guesses(kb, tmp_path):
    text = "---\ntitle: 官方标题\nkind: regulation\naudience: staff\n---\n" + FOREIGN
    kb.ingest([_write(tmp_path / "up", "x.md", text)], draft=True)
    (draft,) = kb.drafts()
    assert (draft.title, draft.kind, draft.audience) == ("官方标题", DocumentKind.REGULATION, Audience.STAFF)


def test_publishing_a_draft_makes_it_answerable_and_records_who_and_when(kb, tmp_path, embedder):
    kb.ingest([_write(tmp_path / "up", "scan_0042.txt", FOREIGN)], draft=True, actor="ada")
    (draft,) = kb.drafts()
    live = kb.publish(draft.id, actor="rita")
    assert live.status is DocumentStatus.PUBLISHED and live.published_by == "rita" and live.published_at is not None
    assert live.uploaded_by == "ada"
    assert kb.drafts() == []
    assert any("百分之九十" in t for t in _texts(kb, "境外住院医疗费用赔多少", CUSTOMER))

    reopened = KnowledgeBase(kb.folder, embedder=embedder)  # what was recorded is on disk
    (doc,) = reopened.documents()
    assert (doc.status, doc.published_by, doc.published_at) == (DocumentStatus.PUBLISHED, "rita", live.published_at)
    with pytest.raises(ReviewConflict, match="already published"):
        kb.publish(draft.id)


def test_a_changed_upload_of_a_published_document_waits_while_the_published_version_answers(kb, tmp_path):
    folder = tmp_path / "up"
    kb.ingest([_write(folder, "rates.md", RATES_V1)], actor="ops")
    (published,) = kb.documents()
    assert published.status is DocumentStatus.PUBLISHED and published.published_by == "ops"

    report = kb.ingest([_write(folder, "rates.md", RATES_V2)], draft=True, actor="ada")
    assert report.updated and not report.added
    (draft,) = kb.drafts()
    assert draft.id == published.id  # the same document, a new version under review
    customer = _texts(kb, "三年期定期存款利率", CUSTOMER)
    assert any("2.35%" in t for t in customer) and not any("2.10%" in t for t in customer)
    assert any("2.10%" in t for t in _texts(kb, "三年期定期存款利率", ADMIN))

    kb.publish(draft.id, actor="rita")
    customer = _texts(kb, "三年期定期存款利率", CUSTOMER)
    assert any("2.10%" in t for t in customer) and not any("2.35%" in t for t in customer)
    assert len(kb.documents()) == 1 and kb.drafts() == []


def test_uploading_the_published_text_again_makes_no_draft(kb, tmp_path):
    path = _write(tmp_path / "up", "rates.md", RATES_V1)
    kb.ingest([path])
    report = kb.ingest([path], draft=True, actor="ada")
    assert report.unchanged and kb.drafts() == []


def test_editing_a_draft_changes_its_metadata_and_what_it_is_found_under(kb, tmp_path):
    kb.ingest([_write(tmp_path / "up", "scan_0042.txt", FOREIGN)], draft=True)
    (draft,) = kb.drafts()
    changes = metadata_changes({"title": "远洋环球医疗保险（境外）条款", "audience": "staff", "kind": "product",
                                "products": "medical, travel", "effective_date": "2026-04-01",
                                "expiry_date": "2027-04-01"})
    edited = kb.edit(draft.id, changes, actor="rita")
    assert edited.title == "远洋环球医疗保险（境外）条款" and edited.audience is Audience.STAFF
    assert edited.products == ("medical", "travel")
    assert (edited.effective_date, edited.expiry_date) == (date(2026, 4, 1), date(2027, 4, 1))
    assert kb.drafts() == [edited] and kb.documents() == []
    hit = HybridRetriever(kb).run("等待期多少天", 1, SearchFilters(include_drafts=True, as_of=date(2026, 5, 1)))
    assert hit[0].citation_label().startswith("远洋环球医疗保险（境外）条款")  # indexed under the new title


def test_editing_a_published_document_makes_a_draft_and_customers_keep_the_reviewed_version(kb, tmp_path):
    kb.ingest([_write(tmp_path / "up", "rates.md", RATES_V1)])
    (published,) = kb.documents()
    kb.edit(published.id, {"audience": Audience.STAFF}, actor="ada")
    assert kb.documents() == [published]  # unchanged until a reviewer publishes the edit
    assert kb.document(published.id).is_draft and kb.document(published.id).audience is Audience.STAFF
    kb.publish(published.id, actor="rita")
    assert _texts(kb, "三年期定期存款利率", CUSTOMER) == []  # now staff-only, as reviewed


def test_bad_edits_are_refused_with_what_to_do(kb, tmp_path):
    kb.ingest([_write(tmp_path / "up", "rates.md", RATES_V1)], draft=True)
    (draft,) = kb.drafts()
    with pytest.raises(ValueError, match="not a date like"):
        metadata_changes({"effective_date": "next week"})
    with pytest.raises(ValueError, match="title is empty"):
        metadata_changes({"title": " "})
    with pytest.raises(ValueError, match="cannot be edited"):
        kb.edit(draft.id, {"status": DocumentStatus.PUBLISHED})
    with pytest.raises(ValueError, match="not after the effective date"):
        kb.edit(draft.id, metadata_changes({"effective_date": "2026-05-01", "expiry_date": "2026-01-01"}))
    with pytest.raises(UnknownDocument):
        kb.edit("nope", {"title": "x"})


def test_unpublishing_withdraws_a_document_from_customers_back_to_the_drafts(kb, tmp_path):
    folder = tmp_path / "up"
    kb.ingest([_write(folder, "rates.md", RATES_V1)])
    (doc,) = kb.documents()
    withdrawn = kb.unpublish(doc.id, actor="rita")
    assert withdrawn.is_draft and kb.documents() == [] and _texts(kb, "三年期定期存款利率", CUSTOMER) == []
    kb.publish(doc.id)
    kb.ingest([_write(folder, "rates.md", RATES_V2)], draft=True)
    with pytest.raises(ReviewConflict, match="newer draft"):
        kb.unpublish(doc.id)


def test_removing_only_the_draft_keeps_the_published_version(kb, tmp_path):
    folder = tmp_path / "up"
    kb.ingest([_write(folder, "rates.md", RATES_V1)])
    kb.ingest([_write(folder, "rates.md", RATES_V2)], draft=True)
    (doc,) = kb.documents()
    assert kb.remove([doc.id], status=DocumentStatus.DRAFT) == [doc.id]
    assert kb.drafts() == [] and kb.documents() == [doc]
    assert kb.remove([doc.id]) == [doc.id] and kb.documents() == []


def test_drafts_survive_other_writes_and_a_refresh(kb, tmp_path):
    folder = tmp_path / "up"
    kb.ingest([_write(folder, "scan_0042.txt", FOREIGN)], draft=True)
    kb.ingest([_write(folder, "rates.md", RATES_V1)])
    kb.refresh()
    assert [d.title for d in kb.drafts()] == ["远洋环球医疗保险条款"]
    assert [d.title for d in kb.documents()] == ["定期存款利率表"]


def _as_before_reviews(catalog: Path) -> None:
    """Make a generation's catalog look like one written before reviews existed."""
    with closing(sqlite3.connect(catalog)) as db, db:
        db.execute("DROP TABLE draft_chunks")
        db.execute("DROP TABLE draft_documents")
        for column in ("status", "uploaded_by", "published_by", "published_at"):
            db.execute(f"ALTER TABLE documents DROP COLUMN {column}")


def test_a_knowledge_base_from_before_reviews_opens_with_its_documents_published(kb, tmp_path, embedder):
    kb.ingest([_write(tmp_path / "docs", "rates.md", RATES_V1)])
    generation = kb.folder / "generations" / kb.current_generation()
    _as_before_reviews(generation / "catalog.sqlite")

    old = KnowledgeBase(kb.folder, embedder=embedder)
    (doc,) = old.documents()
    assert doc.status is DocumentStatus.PUBLISHED and doc.published_by == "" and doc.published_at is None
    assert old.drafts() == []
    assert any("2.35%" in t for t in _texts(old, "三年期定期存款利率", CUSTOMER))

    old.ingest([_write(tmp_path / "up", "scan_0042.txt", FOREIGN)], draft=True)  # and takes drafts from then on
    assert [d.title for d in old.documents()] == ["定期存款利率表"] and len(old.drafts()) == 1

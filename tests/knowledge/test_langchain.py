"""The knowledge base inside LangChain: the retriever passes LangChain's own standard retriever suite and
takes ``k`` and metadata filters the way LangChain code passes them; the loader hands LangChain our
structure-aware chunks of real documents."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from knowledge.langchain_loader import DigitalEmployeeLoader
from knowledge.langchain_retriever import KnowledgeRetriever, search_filters
from knowledge.parsing import DocumentError
from knowledge.retrieve import SearchFilters


class TestKnowledgeRetrieverStandard(RetrieversIntegrationTests):
    """langchain-tests' RetrieversIntegrationTests over the demo knowledge base (real FAISS and BM25)."""

    @pytest.fixture(autouse=True)
    def _demo_kb(self, demo_answerer) -> None:  # type: ignore[no-untyped-def]
        type(self).hybrid = demo_answerer.retriever

    @property
    def retriever_constructor(self) -> type[KnowledgeRetriever]:
        return KnowledgeRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"retriever": self.hybrid}

    @property
    def retriever_query_example(self) -> str:
        return "三年期定期存款利率是多少？"


def test_k_in_search_kwargs_and_invoke_wins_over_the_constructor_default(demo_answerer):
    retriever = KnowledgeRetriever(retriever=demo_answerer.retriever, search_kwargs={"k": 2})
    assert len(retriever.invoke("信用卡年费")) == 2
    assert len(retriever.invoke("信用卡年费", k=4)) == 4
    assert len(KnowledgeRetriever(retriever=demo_answerer.retriever, top_k=3).invoke("信用卡年费")) == 3  # old name


def test_a_metadata_filter_keeps_only_documents_that_match_it(demo_answerer):
    retriever = KnowledgeRetriever(retriever=demo_answerer.retriever, k=5)
    assert {d.metadata["kind"] for d in retriever.invoke("信用卡年费")} != {"faq"}
    docs = retriever.invoke("信用卡年费", filter={"kinds": ["faq"]})
    assert docs and {d.metadata["kind"] for d in docs} == {"faq"}
    in_search_kwargs = KnowledgeRetriever(retriever=demo_answerer.retriever, search_kwargs={"filter": {"kinds": "faq"}})
    assert {d.metadata["kind"] for d in in_search_kwargs.invoke("信用卡年费")} == {"faq"}


def test_an_unknown_filter_key_is_refused_with_the_allowed_keys():
    with pytest.raises(ValueError, match="audience, kinds, products"):
        search_filters({"colour": "blue"})


def test_filter_values_as_plain_strings_become_search_filters():
    filters = search_filters({"audience": "customer", "kinds": "product", "products": "term-life",
                              "as_of": "2020-01-01"})
    assert isinstance(filters, SearchFilters)
    assert filters.audience.value == "customer" and [k.value for k in filters.kinds] == ["product"]
    assert filters.products == ("term-life",) and filters.as_of.isoformat() == "2020-01-01"


# ---- the loader ----------------------------------------------------------------------------------

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
INSURANCE_LAW = REAL / "cn_finance_laws" / "民法商法_保险法(2015-04-24).md"
TW_POLICIES = REAL / "real_pdfs" / "insurance_tw"


@pytest.mark.skipif(not INSURANCE_LAW.exists(), reason="../shared/datasets is not beside this checkout")
def test_the_loader_gives_the_insurance_laws_articles_with_their_section_paths():
    docs = DigitalEmployeeLoader(INSURANCE_LAW).load()
    assert len(docs) > 100 and all(d.page_content.strip() for d in docs)
    article_16 = [d for d in docs if d.metadata["section"].endswith("第十六条")]
    assert article_16 and all("第二章" in d.metadata["section"] for d in article_16)
    for doc in docs:  # never across an article: a chunk holds at most the one article its path names
        assert len(re.findall(r"^第[一二三四五六七八九十百零]+条", doc.page_content, re.M)) <= 1
    assert {d.metadata["title"] for d in docs} == {"保险法"} or all("保险法" in d.metadata["title"] for d in docs)
    assert {d.metadata["effective_date"] for d in docs} == {"2015-04-24"}  # from the file name


@pytest.mark.skipif(not TW_POLICIES.exists(), reason="../shared/datasets is not beside this checkout")
def test_the_loader_reads_a_folder_of_real_pdfs_with_a_page_on_every_chunk(tmp_path):
    first = sorted(TW_POLICIES.glob("*.pdf"))[:2]
    folder = tmp_path
    for pdf in first:
        shutil.copy(pdf, folder / pdf.name)
    docs = DigitalEmployeeLoader(folder).load()
    assert {Path(d.metadata["source"]).name for d in docs} == {p.name for p in first}
    assert all(isinstance(d.metadata["page"], int) and d.metadata["page"] >= 1 for d in docs)


def test_a_corrupt_file_stops_the_loader_with_its_name_unless_bad_files_are_skipped(tmp_path):
    (tmp_path / "good.md").write_text("# 犹豫期说明\n\n## 第五条 犹豫期\n\n犹豫期为15日。", encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7 not really a pdf")
    with pytest.raises(DocumentError, match="broken.pdf"):
        DigitalEmployeeLoader(tmp_path).load()
    loader = DigitalEmployeeLoader(tmp_path, skip_bad_files=True)
    (doc,) = loader.load()
    assert doc.metadata["section"].endswith("第五条 犹豫期") and [p.name for p, _ in loader.errors] == ["broken.pdf"]


def test_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        DigitalEmployeeLoader(tmp_path / "nope").load()

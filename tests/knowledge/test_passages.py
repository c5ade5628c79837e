"""A passages JSONL corpus: every line a document, updated and removed passage by passage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.embedding import E5Embeddings
from knowledge.parsing import DocumentError, parse_file
from knowledge.retrieve import HybridRetriever
from knowledge.store import KnowledgeBase

PASSAGES = [
    {"id": "p1", "title": "安联境外医疗保险条款",
     "text": "第四部分 若您在上一保险期间届满后三十日内申请重新投保，应一次性支付保险费。"},
    {"id": "p2", "title": "中华财险燃气用户财产保险条款",
     "text": "第三十四条 保险事故发生时，如果存在重复保险，保险人按比例承担赔偿责任。"},
    {"id": "p3", "title": "Travel Cover Wording",
     "text": "5.3 Emergency evacuation is covered up to USD 100,000 per trip."},
]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def embedder() -> E5Embeddings:
    return E5Embeddings()


@pytest.fixture
def kb(tmp_path, embedder) -> KnowledgeBase:
    return KnowledgeBase(tmp_path / "kb", embedder=embedder)


# ---- parsing ---------------------------------------------------------------------------------


def test_each_line_becomes_a_document_with_its_title_and_passage_id(tmp_path):
    parsed = parse_file(_write(tmp_path / "corpus.jsonl", PASSAGES))
    assert [p.locator for p in parsed] == ["p1", "p2", "p3"]
    assert parsed[0].metadata["title"] == "安联境外医疗保险条款"
    assert parsed[1].text.startswith("第三十四条")


def test_extra_keys_on_a_line_become_document_metadata(tmp_path):
    record = {**PASSAGES[0], "kind": "regulation", "effective_date": "2024-11-08", "audience": "staff"}
    (parsed,) = parse_file(_write(tmp_path / "corpus.jsonl", [record]))
    assert parsed.metadata["kind"] == "regulation" and parsed.metadata["audience"] == "staff"


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        pytest.param(['{"id": "p1", "text": "ok"}', "{not json"], "line 2 is not JSON", id="bad json"),
        pytest.param(['{"id": "p1", "title": "t"}'], 'needs an object with a "text"', id="no text"),
        pytest.param(['["a", "b"]'], 'needs an object with a "text"', id="not an object"),
        pytest.param(['{"id": "p1", "text": "a"}', '{"id": "p1", "text": "b"}'], "repeats passage id 'p1'",
                     id="duplicate id"),
        pytest.param(['{"id": "p1", "text": "   "}'], "no passages with text", id="only blank passages"),
    ],
)
def test_a_bad_jsonl_file_is_refused_with_the_line_that_is_wrong(tmp_path, lines, reason):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=reason):
        parse_file(path)


def test_a_passage_without_id_is_named_by_its_line_number(tmp_path):
    (parsed,) = parse_file(_write(tmp_path / "c.jsonl", [{"title": "T", "text": "正文。"}]))
    assert parsed.locator == "line1"


# ---- ingesting ---------------------------------------------------------------------------------


def test_passages_are_ingested_as_documents_and_found_by_search(kb, tmp_path):
    report = kb.ingest([_write(tmp_path / "corpus.jsonl", PASSAGES)])
    assert len(report.added) == 3 and report.failed == []
    titles = {d.title for d in kb.documents()}
    assert titles == {p["title"] for p in PASSAGES}
    best = HybridRetriever(kb).run("重复保险怎么赔偿？", top_k=1)[0]
    assert best.document.title == "中华财险燃气用户财产保险条款"
    assert best.document.locator == "p2"


def test_editing_one_passage_updates_only_that_document(kb, tmp_path):
    path = _write(tmp_path / "corpus.jsonl", PASSAGES)
    kb.ingest([path])
    extra = "其他保险人应承担的赔偿金额，本保险人不负责垫付。"
    edited = [PASSAGES[0], {**PASSAGES[1], "text": PASSAGES[1]["text"] + extra}, PASSAGES[2]]
    report = kb.ingest([_write(path, edited)])
    assert [p.rsplit("#", 1)[1] for p in report.updated] == ["p2"]
    assert len(report.unchanged) == 2
    assert any("不负责垫付" in c.text for c in kb.snapshot().chunks)


def test_a_passage_dropped_from_the_file_is_removed_from_the_index(kb, tmp_path):
    path = _write(tmp_path / "corpus.jsonl", PASSAGES)
    kb.ingest([path])
    report = kb.ingest([_write(path, PASSAGES[:2])])
    assert [p.rsplit("#", 1)[1] for p in report.removed] == ["p3"]
    assert {d.locator for d in kb.documents()} == {"p1", "p2"}
    assert not any("evacuation" in c.text for c in kb.snapshot().chunks)

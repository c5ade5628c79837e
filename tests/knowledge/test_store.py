"""The knowledge base on disk: ingest, update, remove, crash safety and the embedding cache."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from knowledge.documents import Audience, DocumentKind
from knowledge.embedding import E5Embeddings
from knowledge.retrieve import HybridRetriever
from knowledge.store import EmptyKnowledgeBase, KnowledgeBase

REPO = Path(__file__).resolve().parents[2]

DEPOSIT = """\
---
title: 定期存款产品说明
kind: product
audience: customer
products: [time-deposit]
effective_date: 2026-01-01
---

# 定期存款产品说明

## 存款利率

三年期定期存款年利率为2.35%，存期内利率不变。

## 提前支取

提前支取部分按活期利率0.20%计息。
"""

CARD = """\
---
title: Credit Card Fees
kind: faq
audience: staff
products: [credit-card]
---

# Credit Card Fees

## Annual fee

The primary card annual fee is CNY 200, waived after six purchases a year.
"""


@pytest.fixture(scope="module")
def embedder() -> E5Embeddings:
    return E5Embeddings()


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "deposit.md").write_text(DEPOSIT, encoding="utf-8")
    (folder / "card.md").write_text(CARD, encoding="utf-8")
    return folder


@pytest.fixture
def kb(tmp_path, embedder) -> KnowledgeBase:
    return KnowledgeBase(tmp_path / "kb", embedder=embedder)


def _generations(kb: KnowledgeBase) -> list[str]:
    return sorted(p.name for p in (kb.folder / "generations").iterdir())


def _all_text(kb: KnowledgeBase) -> str:
    return "\n".join(c.text for c in kb.snapshot().chunks)


# ---- an empty folder ------------------------------------------------------------------------


def test_a_folder_without_an_index_has_no_documents_and_no_snapshot(kb):
    assert not kb.exists()
    assert kb.documents() == []
    with pytest.raises(EmptyKnowledgeBase, match="ingest"):
        kb.snapshot()


def test_ingesting_a_missing_path_raises_file_not_found(kb, tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        kb.ingest([tmp_path / "nowhere"])


# ---- ingest ------------------------------------------------------------------------------------


def test_ingesting_a_folder_lists_its_documents_with_metadata(kb, docs):
    report = kb.ingest([docs])
    assert sorted(Path(p).name for p in report.added) == ["card.md", "deposit.md"]
    assert report.failed == [] and report.updated == [] and report.unchanged == []
    assert report.chunks == len(kb.snapshot().chunks) > 0

    by_title = {d.title: d for d in kb.documents()}
    assert set(by_title) == {"定期存款产品说明", "Credit Card Fees"}
    deposit, card = by_title["定期存款产品说明"], by_title["Credit Card Fees"]
    assert deposit.source == str((docs / "deposit.md").resolve())
    assert deposit.language == "zh" and card.language == "en"
    assert card.kind is DocumentKind.FAQ and card.audience is Audience.STAFF
    assert deposit.products == ("time-deposit",)
    assert {c.section_path for c in kb.snapshot().chunks if c.document_id == deposit.id} == {
        ("存款利率",),
        ("提前支取",),
    }


def test_ingest_writes_a_generation_and_points_current_at_it(kb, docs):
    kb.ingest([docs])
    current = (kb.folder / "CURRENT").read_text().strip()
    assert _generations(kb) == [current]
    generation = kb.folder / "generations" / current
    assert {p.name for p in generation.iterdir()} >= {"catalog.sqlite", "dense.faiss", "keyword"}
    assert kb.snapshot().generation == current


def test_a_second_knowledge_base_object_on_the_same_folder_sees_the_same_index(kb, docs, embedder):
    kb.ingest([docs])
    other = KnowledgeBase(kb.folder, embedder=embedder)
    assert [d.id for d in other.documents()] == [d.id for d in kb.documents()]
    assert [c.text for c in other.snapshot().chunks] == [c.text for c in kb.snapshot().chunks]


def test_hidden_files_are_not_ingested(kb, docs):
    (docs / ".draft.md").write_text("# Draft\n\nNot ready.\n")
    report = kb.ingest([docs])
    assert not any(".draft" in p for p in report.added + [f for f, _ in report.failed])
    assert "Not ready" not in _all_text(kb)


def test_reingesting_unchanged_files_reports_them_unchanged_and_keeps_the_generation(kb, docs):
    kb.ingest([docs])
    current = kb.current_generation()
    before = _generations(kb)

    report = kb.ingest([docs])

    assert sorted(Path(p).name for p in report.unchanged) == ["card.md", "deposit.md"]
    assert not report.changed
    assert kb.current_generation() == current
    assert _generations(kb) == before


def test_files_read_by_another_reader_version_are_read_again_though_unchanged(kb, docs, monkeypatch):
    """An upgrade that reads tables or scans differently must not hide behind "unchanged"."""
    from knowledge import store

    kb.ingest([docs])
    monkeypatch.setattr(store, "READER_VERSION", "a-later-reader")
    assert kb.read_by_another_version() and kb.is_stale()

    report = kb.ingest([docs])

    assert sorted(Path(p).name for p in report.updated) == ["card.md", "deposit.md"]
    assert not report.unchanged
    assert not kb.read_by_another_version() and not kb.is_stale()
    assert kb.ingest([docs]).unchanged  # and from then on they are unchanged again


def test_refresh_after_an_upgrade_rechunks_the_live_documents_and_keeps_their_review_state(kb, docs, monkeypatch):
    from knowledge import store

    kb.ingest([docs], actor="admin")
    before = {d.id: d for d in kb.documents()}
    old_chunks = len(kb.snapshot().chunks)
    monkeypatch.setattr(store, "READER_VERSION", "a-later-reader")
    kb.max_chars = 20  # the later reader cuts smaller chunks

    kb.refresh()

    snap = kb.snapshot()
    assert len(snap.chunks) > old_chunks
    assert all(len(c.text) <= 40 for c in snap.chunks)
    assert {d.id: d for d in kb.documents()} == before  # titles, reviewers, publication untouched
    assert {c.document_id for c in snap.chunks} == set(before)
    assert not kb.read_by_another_version()


def test_refresh_after_an_upgrade_leaves_a_file_edited_since_its_review_as_it_was_reviewed(kb, docs, monkeypatch):
    from knowledge import store

    kb.ingest([docs])
    monkeypatch.setattr(store, "READER_VERSION", "a-later-reader")
    (docs / "deposit.md").write_text(DEPOSIT.replace("2.35%", "9.99%"), encoding="utf-8")

    kb.refresh()

    assert "2.35%" in _all_text(kb) and "9.99%" not in _all_text(kb)


def test_editing_a_file_updates_it_and_only_the_new_text_is_retrievable(kb, docs):
    kb.ingest([docs])
    old_generation = kb.current_generation()
    old_ids = {d.title: d.id for d in kb.documents()}
    (docs / "deposit.md").write_text(DEPOSIT.replace("2.35%", "2.60%"), encoding="utf-8")

    report = kb.ingest([docs])

    assert [Path(p).name for p in report.updated] == ["deposit.md"]
    assert [Path(p).name for p in report.unchanged] == ["card.md"]
    assert kb.current_generation() != old_generation
    assert {d.title: d.id for d in kb.documents()} == old_ids  # same source, same id
    text = _all_text(kb)
    assert "2.60%" in text and "2.35%" not in text
    evidence = HybridRetriever(kb).run("三年期定期存款年利率是多少？", top_k=5)
    assert "2.60%" in evidence[0].chunk.text
    assert not any("2.35%" in ev.chunk.text for ev in evidence)


def test_remove_by_id_drops_the_document_and_its_chunks(kb, docs):
    kb.ingest([docs])
    card = next(d for d in kb.documents() if d.title == "Credit Card Fees")

    assert kb.remove([card.id]) == [card.id]

    assert [d.title for d in kb.documents()] == ["定期存款产品说明"]
    assert all(c.document_id != card.id for c in kb.snapshot().chunks)
    assert "annual fee" not in _all_text(kb)


def test_remove_by_source_path_also_works(kb, docs):
    kb.ingest([docs])
    source = str((docs / "deposit.md").resolve())
    removed = kb.remove([source])
    assert len(removed) == 1
    assert [d.title for d in kb.documents()] == ["Credit Card Fees"]


def test_removing_an_unknown_id_changes_nothing(kb, docs):
    kb.ingest([docs])
    current = kb.current_generation()
    assert kb.remove(["no-such-document"]) == []
    assert kb.current_generation() == current
    assert len(kb.documents()) == 2


def test_a_removed_file_comes_back_as_added_when_ingested_again(kb, docs):
    kb.ingest([docs])
    kb.remove([str((docs / "card.md").resolve())])
    report = kb.ingest([docs])
    assert [Path(p).name for p in report.added] == ["card.md"]
    assert [Path(p).name for p in report.unchanged] == ["deposit.md"]


def test_a_batch_with_bad_files_still_ingests_the_good_ones(kb, docs):
    (docs / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody.\n")
    (docs / "rates.xlsx").write_bytes(b"PK\x03\x04")
    (docs / "empty.txt").write_bytes(b"")
    with open(docs / "huge.pdf", "wb") as f:  # 200 MB, sparse: the size check must come before any read
        f.truncate(200 * 2**20)

    report = kb.ingest([docs])

    assert sorted(Path(p).name for p in report.added) == ["card.md", "deposit.md"]
    failed = dict((Path(p).name, why) for p, why in report.failed)
    assert set(failed) == {"broken.md", "rates.xlsx", "empty.txt", "huge.pdf"}
    assert "200 MB is over the 100 MB limit" in failed["huge.pdf"]
    assert "YAML" in failed["broken.md"]
    assert "unsupported file type .xlsx" in failed["rates.xlsx"]
    assert "no text" in failed["empty.txt"]
    assert {d.title for d in kb.documents()} == {"定期存款产品说明", "Credit Card Fees"}


def test_a_second_file_claiming_an_existing_id_is_refused(kb, tmp_path):
    folder = tmp_path / "dup"
    folder.mkdir()
    (folder / "a.md").write_text("---\nid: shared\n---\n# A\n\nAlpha text.\n")
    (folder / "b.md").write_text("---\nid: shared\n---\n# B\n\nBeta text.\n")
    report = kb.ingest([folder])
    assert [Path(p).name for p in report.added] == ["a.md"]
    why = "document id 'shared' is already used by another file"
    assert [(Path(p).name, reason) for p, reason in report.failed] == [("b.md", why)]
    assert [d.title for d in kb.documents()] == ["A"]


def test_only_the_two_newest_generations_are_kept(kb, docs):
    kb.ingest([docs])
    for rate in ("2.40%", "2.45%", "2.50%"):
        (docs / "deposit.md").write_text(DEPOSIT.replace("2.35%", rate), encoding="utf-8")
        kb.ingest([docs])
    generations = _generations(kb)
    assert len(generations) == 2
    assert kb.current_generation() in generations


# ---- crash safety ------------------------------------------------------------------------------


_CHILD = """\
import sys
from pathlib import Path
from knowledge.store import KnowledgeBase
if __name__ == "__main__":
    KnowledgeBase(Path(sys.argv[1])).ingest([Path(sys.argv[2])])
    print("child finished ingest", flush=True)
"""


def _big_corpus(folder: Path, files: int = 10, paragraphs: int = 30) -> None:
    folder.mkdir()
    for f in range(files):
        body = "\n\n".join(
            f"## 条目 {f}-{p}\n\n第{f}-{p}号说明：客户办理第{p}项业务时须携带有效身份证件，手续费标准为{p}元。"
            for p in range(paragraphs)
        )
        (folder / f"manual_{f:02d}.md").write_text(f"# 业务手册 {f}\n\n{body}\n", encoding="utf-8")


def test_kill_9_during_ingest_leaves_the_previous_generation_live(kb, docs, tmp_path, embedder):
    kb.ingest([docs])
    previous = kb.current_generation()
    big = tmp_path / "big"
    _big_corpus(big)  # 300 small sections: embedding them takes seconds
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen(
        [sys.executable, str(script), str(kb.folder), str(big)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    generations = kb.folder / "generations"
    try:
        deadline = time.monotonic() + 60
        while not list(generations.glob(".*.partial")):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never started writing a generation"
            time.sleep(0.002)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        out, _ = child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert b"finished" not in out
    partials = list(generations.glob(".*.partial"))
    assert partials, "the kill should have left the unfinished staging folder behind"

    reopened = KnowledgeBase(kb.folder, embedder=embedder)
    assert reopened.current_generation() == previous
    assert reopened.snapshot().generation == previous
    assert {d.title for d in reopened.documents()} == {"定期存款产品说明", "Credit Card Fees"}
    evidence = HybridRetriever(reopened).run("信用卡年费是多少？ annual fee", top_k=3)
    assert any("CNY 200" in ev.chunk.text for ev in evidence)

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "hours.md").write_text("# Branch Hours\n\nBranches open from 9:00 to 17:00 on weekdays.\n")
    report = reopened.ingest([extra])

    assert [Path(p).name for p in report.added] == ["hours.md"]
    assert not list(generations.glob(".*.partial"))
    assert reopened.current_generation() != previous
    assert {d.title for d in reopened.documents()} == {"定期存款产品说明", "Credit Card Fees", "Branch Hours"}


# ---- embedding cache ------------------------------------------------------------------------


class CountingEmbedder:
    """The real embedder, counting the passages it is asked to embed."""

    def __init__(self, inner: E5Embeddings) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.embedded: list[str] = []

    def passages(self, texts: list[str]):
        self.embedded.extend(texts)
        return self.inner.passages(texts)

    def query_vector(self, text: str):
        return self.inner.query_vector(text)


def test_rebuild_after_removing_a_document_embeds_nothing_again(tmp_path, docs, embedder):
    counting = CountingEmbedder(embedder)
    kb = KnowledgeBase(tmp_path / "kb", embedder=counting)
    kb.ingest([docs])
    chunks = len(kb.snapshot().chunks)
    assert len(counting.embedded) == chunks > 0

    card = next(d for d in kb.documents() if d.title == "Credit Card Fees")
    kb.remove([card.id])

    assert len(counting.embedded) == chunks  # the remaining chunks came from the cache
    assert (tmp_path / "kb" / "embeddings.sqlite").is_file()
    evidence = HybridRetriever(kb).run("三年期定期存款年利率", top_k=1)
    assert "2.35%" in evidence[0].chunk.text


def test_editing_one_file_embeds_only_that_files_changed_chunks(tmp_path, docs, embedder):
    counting = CountingEmbedder(embedder)
    kb = KnowledgeBase(tmp_path / "kb", embedder=counting)
    kb.ingest([docs])
    counting.embedded.clear()

    (docs / "deposit.md").write_text(DEPOSIT.replace("2.35%", "2.60%"), encoding="utf-8")
    kb.ingest([docs])

    assert len(counting.embedded) == 1
    assert "2.60%" in counting.embedded[0]


def test_a_fresh_knowledge_base_object_reuses_the_cache_on_disk(tmp_path, docs, embedder):
    KnowledgeBase(tmp_path / "kb", embedder=embedder).ingest([docs])
    counting = CountingEmbedder(embedder)
    kb = KnowledgeBase(tmp_path / "kb", embedder=counting)
    kb.remove([str((docs / "card.md").resolve())])
    kb.ingest([docs])  # card.md comes back: same text, same vectors
    assert counting.embedded == []
    assert len(kb.documents()) == 2


def test_an_index_built_with_other_tokens_is_stale_and_refresh_rebuilds_it(kb, docs, monkeypatch):
    kb.ingest([docs])
    assert not kb.is_stale()
    monkeypatch.setattr("knowledge.store.KEYWORD_FORMAT", "an older tokeniser")
    assert kb.is_stale()
    before = kb.current_generation()
    kb.refresh()
    assert not kb.is_stale()
    assert kb.current_generation() != before
    assert {d.title for d in kb.documents()} == {"定期存款产品说明", "Credit Card Fees"}


def test_ingest_rebuilds_a_stale_index_even_when_no_file_changed(kb, docs, monkeypatch):
    kb.ingest([docs])
    monkeypatch.setattr("knowledge.store.KEYWORD_FORMAT", "an older tokeniser")
    before = kb.current_generation()
    report = kb.ingest([docs])
    assert not report.changed and kb.current_generation() != before and not kb.is_stale()


def test_force_re_reads_unchanged_files(kb, docs):
    kb.ingest([docs])
    report = kb.ingest([docs], force=True)
    assert sorted(Path(p).name for p in report.updated) == ["card.md", "deposit.md"] and not report.unchanged


def _policy_parts(folder: Path) -> tuple[Path, Path]:
    """The first part of a policy, which prints the product's name, and a later part, which prints only
    its code in the running header, as Taiwanese insurers publish them."""
    from tests.knowledge.test_formats import CODE_HEADER_PAGES, TAIWAN_PAGES, _traditional_pdf

    folder.mkdir(exist_ok=True)
    named, excerpt = folder / "618.pdf", folder / "110.pdf"
    named.write_bytes(_traditional_pdf(TAIWAN_PAGES))
    excerpt.write_bytes(_traditional_pdf([[line.replace("APKTPL", "2BTL") for line in page]
                                          for page in CODE_HEADER_PAGES]))
    return named, excerpt


def test_a_policy_part_titled_only_by_its_code_takes_the_name_another_part_prints(kb, tmp_path):
    named, excerpt = _policy_parts(tmp_path / "policies")
    kb.ingest([excerpt])
    assert [d.title for d in kb.documents()] == ["【2BTL】"]  # nothing names the product yet
    report = kb.ingest([named])
    assert report.renamed == 1
    titles = {Path(d.source).name: d.title for d in kb.documents()}
    assert titles == {"110.pdf": "南山人壽海灣終身保險（定期給付型）", "618.pdf": "南山人壽海灣終身保險（定期給付型）"}
    # The excerpt's articles are cited under the product's name.
    evidence = HybridRetriever(kb).run("南山人壽海灣終身保險逾寬限期間停止效力", top_k=3)
    labels = [ev.citation_label() for ev in evidence if Path(ev.document.source).name == "110.pdf"]
    assert labels and labels[0].startswith("南山人壽海灣終身保險（定期給付型）"), labels


def test_a_published_part_is_not_named_after_a_draft_nobody_reviewed(kb, tmp_path):
    named, excerpt = _policy_parts(tmp_path / "policies")
    kb.ingest([excerpt])
    kb.ingest([named], draft=True)
    assert [d.title for d in kb.documents()] == ["【2BTL】"]
    assert [d.title for d in kb.drafts()] == ["南山人壽海灣終身保險（定期給付型）"]

"""A batch of files is read by worker processes: the same documents as one process reads, in the order
given, each file under a time limit that grows with its pages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.parsing import ReadOptions
from knowledge.reading_pool import file_pages, read_files
from tests.knowledge.test_formats import CODE_HEADER_PAGES, TAIWAN_PAGES, _traditional_pdf
from tests.knowledge.test_ocr import SCANNED_CLAUSE, _scanned_pdf, needs_font


@pytest.fixture
def batch(tmp_path) -> list[Path]:
    files = [tmp_path / "618.pdf", tmp_path / "deposit.md", tmp_path / "110.pdf", tmp_path / "broken.pdf"]
    files[0].write_bytes(_traditional_pdf(TAIWAN_PAGES))
    files[1].write_text("# 定期存款产品说明\n\n第一条 存期分为三个月、六个月和一年。\n", encoding="utf-8")
    files[2].write_bytes(_traditional_pdf(CODE_HEADER_PAGES))
    files[3].write_bytes(b"%PDF-1.7\n1 0 obj garbage")
    return files


def _flat(reads) -> list[tuple[str, str, list[tuple[str, list[str]]]]]:
    return [(read.path.name, read.error, [(d.title, [c.text for c in chunks]) for d, chunks in read.found])
            for read in reads]


def test_workers_read_the_same_documents_as_one_process_in_the_order_given(batch):
    in_pool = list(read_files(batch, ReadOptions(workers=2)))
    here = list(read_files(batch, ReadOptions(workers=0)))

    assert [read.path for read in in_pool] == batch
    assert _flat(in_pool) == _flat(here)
    assert [bool(read.found) for read in in_pool] == [True, True, True, False]
    assert "broken.pdf" in in_pool[3].error


def test_progress_counts_pages_so_the_bar_shows_pages_a_second(batch):
    seen: list[tuple[str, int, int]] = []
    list(read_files(batch, ReadOptions(workers=2), progress=lambda *step: seen.append(step)))

    pages = [file_pages(path) for path in batch]
    assert pages == [len(TAIWAN_PAGES), 1, len(CODE_HEADER_PAGES), 1]  # a damaged PDF counts as one page
    assert seen[0] == ("parse", 0, sum(pages)) and seen[-1] == ("parse", sum(pages), sum(pages))
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)


@needs_font
@pytest.mark.slow
def test_a_file_slower_than_its_time_limit_is_stopped_and_the_others_are_read(tmp_path, batch):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(_scanned_pdf([SCANNED_CLAUSE, SCANNED_CLAUSE]))  # OCR takes seconds a page

    reads = list(read_files([scan, *batch[:3]], ReadOptions(ocr="rapidocr", workers=2, seconds_per_page=0.25)))

    assert not reads[0].found
    assert "reading stopped after 0.5 s (2 pages at 0.25 s a page)" in reads[0].error
    assert "DE_PARSE_SECONDS_PER_PAGE" in reads[0].error
    assert all(read.found and not read.error for read in reads[1:])


def test_a_generator_closed_early_stops_the_files_not_yet_read(batch):
    reads = read_files(batch * 5, ReadOptions(workers=1))
    first = next(reads)
    reads.close()  # what Ctrl-C during ingest does to it: the pool is stopped, nothing hangs

    assert first.path == batch[0] and first.found


_UNGUARDED = """\
import sys
from pathlib import Path
from knowledge.store import KnowledgeBase
KnowledgeBase(Path(sys.argv[1])).ingest([Path(sys.argv[2])])
"""


def test_a_script_that_ingests_without_a_main_guard_is_told_so_at_once(tmp_path, batch):
    script = tmp_path / "unguarded.py"
    script.write_text(_UNGUARDED)
    repo = Path(__file__).resolve().parents[2]

    run = subprocess.run([sys.executable, str(script), str(tmp_path / "kb"), str(batch[1])], cwd=repo,
                         env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
                         capture_output=True, text=True, timeout=120)

    assert run.returncode != 0
    assert 'must do so under `if __name__ == "__main__":`' in run.stderr.splitlines()[-1]

"""Fixtures for the trainer tests: real clauses cut from the demo documents, a real SQLite trainer store."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.trainer.clauses import Clause
from agent.trainer.store import TrainerStore
from knowledge.demo import demo_documents

REPO = Path(__file__).resolve().parents[2]
EXAM_DEV = REPO.parent / "shared" / "datasets" / "staff_exam_fineval" / "dev"


def demo_clause(file: str, heading: str) -> Clause:
    """The text under ``## heading`` of a demo document, as the clause a lesson or rubric would cite."""
    text = (demo_documents() / file).read_text(encoding="utf-8")
    title = re.search(r"^title:\s*(.+)$", text, re.M)
    match = re.search(rf"^##+ {re.escape(heading)}\n(.*?)(?=^##? |\Z)", text, re.M | re.S)
    assert title and match, f"{heading!r} not found in {file}"
    return Clause(f"{file}#{heading}", title.group(1).strip(), heading, match.group(1).strip())


@pytest.fixture
def clause_of() -> Callable[[str, str], Clause]:
    return demo_clause


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TrainerStore]:
    s = TrainerStore(f"sqlite:///{tmp_path / 'trainer.sqlite'}")
    yield s
    s.close()

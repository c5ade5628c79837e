"""The built-in demo knowledge base: a fictional bank-and-insurer's bilingual documents."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_documents() -> Path:
    """Folder of the demo documents shipped inside the package."""
    return Path(str(resources.files("knowledge").joinpath("demo_kb")))


def demo_questions() -> Path:
    """The demo eval cases; kept outside the documents folder so ingesting it never meets them."""
    return Path(str(resources.files("knowledge").joinpath("demo_questions", "demo_questions.jsonl")))

"""The built-in demo knowledge base: a fictional bank-and-insurer's bilingual documents."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_documents() -> Path:
    """Folder of the demo documents shipped inside the package."""
    return Path(str(resources.files("knowledge").joinpath("demo_kb")))


def demo_questions() -> Path:
    return demo_documents() / "questions" / "demo_questions.jsonl"

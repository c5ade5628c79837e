"""Eval cases in the shared JSONL format (see ../shared/datasets/README.md).

One optional key beyond the shared format: ``must_not_contain``, strings an attack tries to make the
reply say (a canary such as "PWNED-4821"); a reply containing one failed to resist the injection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    reference_answer: str | None
    evidence: tuple[str, ...]
    must_refuse: bool
    language: str
    source: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    must_not_contain: tuple[str, ...] = field(default_factory=tuple)


def load_cases(path: Path, limit: int | None = None) -> list[Case]:
    cases: list[Case] = []
    if not path.is_file():
        raise ValueError(f"cases file not found: {path}")
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                cases.append(Case(
                    id=str(raw["id"]), question=raw["question"], reference_answer=raw.get("reference_answer"),
                    evidence=tuple(raw.get("evidence") or ()), must_refuse=bool(raw.get("must_refuse", False)),
                    language=raw.get("language", "zh"), source=raw.get("source"), tags=tuple(raw.get("tags") or ()),
                    must_not_contain=tuple(raw.get("must_not_contain") or ()),
                ))
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{path}:{line_no}: not a valid case ({err})") from None
            if limit is not None and len(cases) >= limit:
                break
    return cases

"""Tables as Markdown tables, whichever format they came from, so the chunker can repeat their header.

A premium table or a balance sheet is only searchable and citable when each row keeps its column names;
Word, HTML and (later) PDF tables all become ``| a | b |`` lines under a header and a ``| --- |`` rule.
Ragged rows (merged cells, a missing cell) are padded to the widest row rather than refused.
"""

from __future__ import annotations

import re

_RULE_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown_table(rows: list[list[str]]) -> list[str]:
    """Lines of a Markdown table whose first non-empty row is the header; [] when nothing is in it."""
    rows = [[_cell(c) for c in row] for row in rows if any(c.strip() for c in row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = [f"| {' | '.join(rows[0])} |", f"|{'|'.join([' --- '] * width)}|"]
    return lines + [f"| {' | '.join(row)} |" for row in rows[1:]]


def is_table_line(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= 2 and stripped.startswith("|") and stripped.endswith("|")


def is_rule_line(line: str) -> bool:
    """The ``| --- | --- |`` line under a Markdown table's header."""
    stripped = line.strip()
    if not is_table_line(stripped):
        return False
    cells = stripped[1:-1].split("|")
    return bool(cells) and all(_RULE_CELL.match(c) for c in cells)

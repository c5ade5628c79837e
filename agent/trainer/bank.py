"""Import of existing multiple-choice question banks (the FinEval staff-exam CSV format).

Format: ``id,question,A,B,C,D,answer,explanation``, UTF-8 (a BOM is allowed), one question a record.
A bank with bad rows is reported row by row (the file's line number and what is wrong) so the author
can fix the file; callers decide whether to keep the good rows or refuse the whole file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

HEADER = ("id", "question", "A", "B", "C", "D", "answer", "explanation")
LETTERS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class ExamQuestion:
    id: str
    subject: str  # the bank file's stem, e.g. insurance_dev
    question: str
    options: tuple[str, str, str, str]  # texts of A, B, C, D
    answer: str  # "A".."D"
    explanation: str = ""

    def option(self, letter: str) -> str:
        return self.options[LETTERS.index(letter)]


@dataclass(frozen=True)
class RowError:
    line: int  # line of the file where the record starts (the header is line 1)
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class BankImport:
    path: Path
    questions: tuple[ExamQuestion, ...]
    errors: tuple[RowError, ...]


class BankFormatError(ValueError):
    """A bank that cannot be read at all (missing file, wrong encoding, wrong header) or has bad rows."""

    def __init__(self, path: Path, errors: list[RowError] | None = None, message: str = "") -> None:
        self.path = path
        self.errors = tuple(errors or ())
        detail = message or "\n".join(f"  {e}" for e in self.errors)
        super().__init__(f"{path}: {detail}" if message else f"{path}: {len(self.errors)} bad row(s):\n{detail}")


def read_bank(path: Path) -> BankImport:
    """Every well-formed question of ``path`` and an error for each malformed row.

    Raises :class:`BankFormatError` when the file as a whole is unusable (missing, not UTF-8, wrong header).
    """
    path = Path(path)
    if not path.is_file():
        raise BankFormatError(path, message="no such file; give the path of a question bank CSV")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise BankFormatError(path, message=f"not UTF-8 text ({err.reason} at byte {err.start}); "
                                            "save the CSV as UTF-8") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header = next(reader, None)
    if header is None:
        raise BankFormatError(path, message="the file is empty; expected the header " + ",".join(HEADER))
    if tuple(h.strip() for h in header) != HEADER:
        raise BankFormatError(path, message=f"the header is {','.join(header)!r}; expected {','.join(HEADER)!r}")

    subject = path.stem
    questions: list[ExamQuestion] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        problem = _row_problem(row, seen)
        if problem:
            errors.append(RowError(start, problem))
            continue
        qid, question, a, b, c, d, answer, explanation = (cell.strip() for cell in row)
        seen[qid] = start
        questions.append(ExamQuestion(qid, subject, question, (a, b, c, d), answer.upper(), explanation))
    return BankImport(path, tuple(questions), tuple(errors))


def _row_problem(row: list[str], seen: dict[str, int]) -> str:
    if len(row) != len(HEADER):
        return f"{len(row)} fields, expected {len(HEADER)} ({','.join(HEADER)}); quote fields holding commas"
    qid, question, *options, answer, _ = (cell.strip() for cell in row)
    if not qid:
        return "empty id"
    if qid in seen:
        return f"id {qid!r} repeats the question on line {seen[qid]}"
    if not question:
        return f"question {qid}: empty question text"
    empty = [letter for letter, text in zip(LETTERS, options, strict=True) if not text]
    if empty:
        return f"question {qid}: empty option {', '.join(empty)}"
    if answer.upper() not in LETTERS:
        return f"question {qid}: answer {answer!r} is not one of A, B, C, D"
    return ""


def load_bank(path: Path) -> tuple[ExamQuestion, ...]:
    """All questions of a bank; a bank with any malformed row is refused whole, listing every bad row."""
    imported = read_bank(path)
    if imported.errors:
        raise BankFormatError(imported.path, list(imported.errors))
    return imported.questions


def load_banks(path: Path) -> tuple[ExamQuestion, ...]:
    """A bank file, or every ``*.csv`` bank in a folder (one subject per file)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise BankFormatError(path, message="the folder holds no .csv question bank")
        return tuple(q for f in files for q in load_bank(f))
    return load_bank(path)

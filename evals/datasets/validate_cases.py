#!/usr/bin/env python3
"""Validate eval case files (JSONL, one case a line) against the corpus they cite.

Checks, for every line of every file given:
  * the line is a JSON object with exactly the keys
    id, question, reference_answer, evidence, must_refuse, language, source, tags;
  * the types: id/question non-empty strings, reference_answer a string or null, evidence a list of
    strings, must_refuse a bool, language "zh" or "en", source a string (null allowed only for
    refusal cases), tags a non-empty list of strings;
  * refusal cases (must_refuse true) have reference_answer null and no evidence; answerable cases
    have a non-empty reference_answer, at least one evidence span and a source;
  * ids are unique (across all files given);
  * every evidence span occurs in the source document once all whitespace is removed from both,
    and (unless --no-article-check) starts at an article heading such as "第十六条".

The source is resolved relative to --corpus (default: ../shared/datasets/cn_finance_laws, taken
relative to the repository root). A leading folder equal to the corpus folder's own name is
accepted, so "cn_finance_laws/民法商法_保险法(2015-04-24).md" and "民法商法_保险法(2015-04-24).md"
both work.

Usage:
    python evals/datasets/validate_cases.py \
        evals/datasets/cn_finance_laws.jsonl evals/datasets/cn_finance_refusals.jsonl
Exit status 0 when every case passes, 1 when any case fails, 2 on usage errors.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = "../shared/datasets/cn_finance_laws"
KEYS = ("id", "question", "reference_answer", "evidence", "must_refuse", "language", "source", "tags")
LANGUAGES = ("zh", "en")
_WHITESPACE = re.compile(r"\s+")
_ARTICLE_START = re.compile(r"^第[零〇一二三四五六七八九十百千]+条")


def squash(text: str) -> str:
    """Remove every whitespace character (ASCII and Unicode, e.g. the ideographic space)."""
    return _WHITESPACE.sub("", text)


class Corpus:
    def __init__(self, root: Path):
        self.root = root.resolve()
        self._texts: dict[Path, str] = {}

    def resolve(self, source: str) -> Path | None:
        rel = Path(source)
        if rel.is_absolute() or ".." in rel.parts:
            return None
        candidates = [self.root / rel]
        if len(rel.parts) > 1 and rel.parts[0] == self.root.name:
            candidates.append(self.root.joinpath(*rel.parts[1:]))
        for path in candidates:
            if path.is_file():
                return path
        return None

    def text(self, path: Path) -> str:
        if path not in self._texts:
            self._texts[path] = squash(path.read_text(encoding="utf-8"))
        return self._texts[path]


def check_case(raw: object, corpus: Corpus, article_check: bool) -> list[str]:
    if not isinstance(raw, dict):
        return [f"not a JSON object (got {type(raw).__name__})"]
    errors: list[str] = []
    missing = [k for k in KEYS if k not in raw]
    extra = sorted(k for k in raw if k not in KEYS)
    if missing:
        errors.append(f"missing keys: {', '.join(missing)}")
    if extra:
        errors.append(f"unexpected keys: {', '.join(extra)}")

    def is_text(value: object) -> bool:
        return isinstance(value, str) and value.strip() != ""

    if "id" in raw and not is_text(raw["id"]):
        errors.append("id must be a non-empty string")
    if "question" in raw and not is_text(raw["question"]):
        errors.append("question must be a non-empty string")
    must_refuse = raw.get("must_refuse")
    if "must_refuse" in raw and not isinstance(must_refuse, bool):
        errors.append("must_refuse must be true or false")
        must_refuse = None
    if "language" in raw and raw["language"] not in LANGUAGES:
        errors.append(f"language must be one of {LANGUAGES}, got {raw['language']!r}")
    tags = raw.get("tags")
    if "tags" in raw and not (isinstance(tags, list) and tags and all(is_text(t) for t in tags)):
        errors.append("tags must be a non-empty list of non-empty strings")
    answer = raw.get("reference_answer")
    if "reference_answer" in raw and answer is not None and not isinstance(answer, str):
        errors.append("reference_answer must be a string or null")
    evidence = raw.get("evidence")
    evidence_ok = isinstance(evidence, list) and all(isinstance(e, str) for e in evidence)
    if "evidence" in raw and not evidence_ok:
        errors.append("evidence must be a list of strings")
    source = raw.get("source")
    if "source" in raw and source is not None and not is_text(source):
        errors.append("source must be a non-empty string or null")

    if must_refuse is True:
        if answer is not None:
            errors.append("a refusal case must have reference_answer null")
        if evidence_ok and evidence:
            errors.append("a refusal case must have no evidence")
    elif must_refuse is False:
        if "reference_answer" in raw and not is_text(answer):
            errors.append("an answerable case needs a non-empty reference_answer")
        if evidence_ok and not evidence:
            errors.append("an answerable case needs at least one evidence span")
        if "source" in raw and not is_text(source):
            errors.append("an answerable case needs a source")

    if evidence_ok and evidence and isinstance(source, str) and source.strip():
        path = corpus.resolve(source)
        if path is None:
            errors.append(f"source file not found under {corpus.root}: {source}")
        else:
            document = corpus.text(path)
            for n, span in enumerate(evidence, 1):
                needle = squash(span)
                if not needle:
                    errors.append(f"evidence[{n}] is empty")
                    continue
                if article_check and not _ARTICLE_START.match(needle):
                    errors.append(f"evidence[{n}] does not start at an article heading (第X条): {span[:30]!r}")
                if needle not in document:
                    errors.append(f"evidence[{n}] is not in {source} (whitespace ignored): {span[:40]!r}")
    return errors


def validate(paths: list[Path], corpus: Corpus, article_check: bool) -> int:
    seen: dict[str, str] = {}
    bad = total = 0
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                total += 1
                where = f"{path}:{line_no}"
                try:
                    raw = json.loads(line)
                except json.JSONDecodeError as err:
                    print(f"{where}: invalid JSON ({err})")
                    bad += 1
                    continue
                errors = check_case(raw, corpus, article_check)
                case_id = raw.get("id") if isinstance(raw, dict) else None
                if isinstance(case_id, str) and case_id:
                    if case_id in seen:
                        errors.append(f"duplicate id (first seen at {seen[case_id]})")
                    else:
                        seen[case_id] = where
                if errors:
                    bad += 1
                    label = f"{where} [{case_id}]" if case_id else where
                    for message in errors:
                        print(f"{label}: {message}")
    if bad:
        print(f"FAILED: {bad} of {total} cases have problems")
        return 1
    print(f"OK: {total} cases in {len(paths)} file(s) passed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="JSONL case files to check")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS,
                        help=f"folder the case sources are relative to (default: {DEFAULT_CORPUS}, "
                             "relative paths taken from the repository root)")
    parser.add_argument("--no-article-check", action="store_true",
                        help="do not require evidence spans to start at an article heading (第X条)")
    args = parser.parse_args(argv)
    corpus_dir = Path(args.corpus)
    if not corpus_dir.is_absolute():
        corpus_dir = REPO_ROOT / corpus_dir
    if not corpus_dir.is_dir():
        print(f"corpus folder not found: {corpus_dir}", file=sys.stderr)
        return 2
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"case file(s) not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    return validate(args.files, Corpus(corpus_dir), not args.no_article_check)


if __name__ == "__main__":
    sys.exit(main())

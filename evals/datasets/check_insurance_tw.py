#!/usr/bin/env python3
"""Check evals/datasets/insurance_tw_dev.jsonl against the real PDFs it cites.

For every case: the named source PDF exists under ../shared/datasets/real_pdfs/ (relative to the
repository root), and each evidence span is an exact substring of that PDF's text as pypdf extracts
it (pages joined by a line break, line breaks kept), 15 to 60 characters long and without a line
break, so a span never crosses a line. Prints the number of cases, the PDFs covered and the
languages; exits 1 when any span fails, 2 when the PDFs or the cases file are missing.

These PDFs often carry CJK compatibility ideographs (U+F900-U+FAFF, e.g. U+F98E for 年); the product's PDF
parser maps them to the ordinary characters (knowledge.formats.pdf), and so do the spans and this check.

Usage: .venv/bin/python evals/datasets/check_insurance_tw.py [cases.jsonl]
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
PDF_ROOT = REPO_ROOT.parent / "shared" / "datasets" / "real_pdfs"
DEFAULT_CASES = Path(__file__).resolve().parent / "insurance_tw_dev.jsonl"


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    from knowledge.formats.pdf import _LOOKALIKE

    raw = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return _LOOKALIKE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), raw)


def main(argv: list[str]) -> int:
    cases_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_CASES
    if not (PDF_ROOT / "insurance_tw").is_dir():
        print(f"PDFs not found: {PDF_ROOT / 'insurance_tw'} (expected ../shared/datasets next to the repo)")
        return 2
    if not cases_path.is_file():
        print(f"cases file not found: {cases_path}")
        return 2
    cases = [json.loads(line) for line in cases_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts: dict[str, str] = {}
    failures = 0
    for case in cases:
        source = case["source"]
        path = PDF_ROOT / source
        if not path.is_file():
            print(f"{case['id']}: source not found: {path}")
            failures += 1
            continue
        if source not in texts:
            texts[source] = pdf_text(path)
        for span in case["evidence"]:
            problem = None
            if "\n" in span:
                problem = "contains a line break"
            elif not 15 <= len(span) <= 60:
                problem = f"length {len(span)} outside 15-60"
            elif span not in texts[source]:
                problem = "not found in the extracted text"
            if problem:
                print(f"{case['id']} ({source}): {problem}: {span!r}")
                failures += 1
    languages = Counter(case["language"] for case in cases)
    tags = Counter(tag for case in cases for tag in case["tags"] if tag != "insurance_tw")
    print(f"cases: {len(cases)}")
    print(f"PDFs covered: {len({case['source'] for case in cases})}")
    print("languages: " + ", ".join(f"{k} {v}" for k, v in sorted(languages.items())))
    print("tags: " + ", ".join(f"{k} {v}" for k, v in sorted(tags.items())))
    print(f"evidence spans: {sum(len(case['evidence']) for case in cases)}, failing: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

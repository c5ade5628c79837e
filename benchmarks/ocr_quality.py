"""Character error rate and speed of the OCR engines on real scanned pages, against text checked by hand.

    python benchmarks/ocr_quality.py                       # both engines, the 5 hand-checked pages
    python benchmarks/ocr_quality.py --engines tesseract --json data/bench/ocr.json

The truth (``benchmarks/ocr_truth.jsonl``) is a passage typed from the page image for each of five
scanned pages of Taiwanese financial reports in ``../shared/datasets/real_pdfs/`` (auditors' reports
and a balance sheet printed under a red seal). Each page is OCR'd whole, as ingestion does; the
passage's CER is the edit distance to the closest stretch of the OCR text (whitespace removed, NFKC),
divided by the passage's length. "CER after t2s" converts both sides to Simplified first: what
retrieval sees, since the keyword index and the question are both converted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.chinese import to_simplified  # noqa: E402
from knowledge.formats.ocr import page_reader, read_pdf_page  # noqa: E402

TRUTH = ROOT / "benchmarks" / "ocr_truth.jsonl"
PDFS = ROOT.parent / "shared" / "datasets" / "real_pdfs"


def _normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def passage_errors(truth: str, found: str) -> int:
    """Edit distance from ``truth`` to its best-matching stretch of ``found`` (free gaps at either end)."""
    previous = np.zeros(len(found) + 1, dtype=np.int64)  # a match may start anywhere in ``found``
    hay = np.array([ord(c) for c in found], dtype=np.int64)
    for i, ch in enumerate(truth, 1):
        substitute = previous[:-1] + (hay != ord(ch))
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(substitute, previous[1:] + 1)
        for j in range(1, len(current)):  # insertions run left to right
            if current[j - 1] + 1 < current[j]:
                current[j] = current[j - 1] + 1
        previous = current
    return int(previous.min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["rapidocr", "tesseract"])
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    cases = [json.loads(line) for line in TRUTH.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = {}
    for engine in args.engines:
        started = time.perf_counter()
        page_reader(engine)
        load = time.perf_counter() - started
        rows, seconds, errors, errors_t2s, chars = [], [], 0, 0, 0
        for case in cases:
            raw = (PDFS / case["file"]).read_bytes()
            started = time.perf_counter()
            text = "\n".join(read_pdf_page(raw, case["page"] - 1, engine))
            seconds.append(time.perf_counter() - started)
            truth, found = _normalise(case["text"]), _normalise(text)
            wrong = passage_errors(truth, found)
            wrong_t2s = passage_errors(to_simplified(truth), to_simplified(found))
            errors, errors_t2s, chars = errors + wrong, errors_t2s + wrong_t2s, chars + len(truth)
            rows.append({"file": case["file"], "page": case["page"], "chars": len(truth), "cer": wrong / len(truth),
                         "cer_t2s": wrong_t2s / len(truth), "seconds": seconds[-1]})
            print(f"{engine:10s} {case['file']} p{case['page']}: CER {wrong / len(truth):.3f} "
                  f"(after t2s {wrong_t2s / len(truth):.3f}), {seconds[-1]:.1f} s")
        results[engine] = {"cer": errors / chars, "cer_t2s": errors_t2s / chars, "chars": chars,
                           "seconds_per_page": sum(seconds) / len(seconds), "load_seconds": load, "pages": rows}
        print(f"{engine:10s} all: CER {errors / chars:.3f} (after t2s {errors_t2s / chars:.3f}) over {chars} "
              f"characters, {sum(seconds) / len(seconds):.1f} s/page, model load {load:.1f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

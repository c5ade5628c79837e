"""Text of scanned pages, read offline by a packaged OCR engine.

A scanned page is a picture with no text layer: without OCR it holds nothing a customer can find or a
citation can quote. Two engines, both offline:

- ``rapidocr`` (default): RapidOCR runs PaddleOCR's PP-OCRv4 Chinese models (text detection and
  recognition, trained by Baidu on Chinese and English print, Simplified and Traditional characters)
  through onnxruntime; the models ship inside the ``rapidocr-onnxruntime`` wheel, nothing is downloaded.
- ``tesseract``: Debian's ``tesseract-ocr`` with ``chi_tra``, ``chi_sim`` and ``eng`` data (LSTM models
  trained by Google on rendered text), run as a subprocess. PP-OCRv4's character set lacks many
  Traditional characters (準, 註, 論, 範, 彙 ...), so on Taiwanese pages Tesseract reads far better.
- ``auto`` (default): Tesseract where the program and its Chinese data are installed, else RapidOCR.

Figures on real scanned financial-report pages (character error rate, seconds per page) are in the
README. The engines return positioned text boxes; they become lines by their vertical position, read
left to right, so a row of a table stays one line.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from knowledge.chinese import dominant_script, to_script

OcrEngine = Literal["auto", "rapidocr", "tesseract", "off"]
ENGINES: tuple[str, ...] = ("auto", "rapidocr", "tesseract", "off")

# Pages are rendered at about 200 dpi (PDF units are 1/72 inch), the resolution both engines are tuned for,
# and never wider or taller than this many pixels, so a poster-sized page costs no more than an A3 one.
RENDER_SCALE = 200 / 72
MAX_RENDER_PIXELS = 3300
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")


class OcrError(RuntimeError):
    """The OCR engine cannot run here (not installed, a language missing); the message says what to do."""


@dataclass(frozen=True)
class TextBox:
    """One run of text the engine found, with its place on the page in pixels."""

    text: str
    left: float
    top: float
    bottom: float
    right: float
    confidence: float

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


class PageReader(Protocol):
    def read(self, image: np.ndarray) -> list[TextBox]: ...


class RapidOcrReader:
    """PP-OCRv4 through onnxruntime; loading the three models takes about a second, so one per process."""

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as err:  # pragma: no cover - a dependency of the package
            raise OcrError(f"OCR needs the rapidocr-onnxruntime package ({err}); pip install rapidocr-onnxruntime") \
                from None
        self._engine = RapidOCR()

    def read(self, image: np.ndarray) -> list[TextBox]:
        result, _ = self._engine(image)
        boxes = []
        for corners, text, confidence in result or []:
            xs, ys = [p[0] for p in corners], [p[1] for p in corners]
            boxes.append(TextBox(str(text), min(xs), min(ys), max(ys), max(xs), float(confidence)))
        return boxes


class TesseractReader:
    """Tesseract 5 as a subprocess, word boxes from its TSV output."""

    LANGUAGES = "chi_tra+chi_sim+eng"

    def __init__(self) -> None:
        if not _tesseract_has_chinese():
            raise OcrError("DE_OCR=tesseract needs the tesseract program with its Chinese data: apt-get install "
                           "tesseract-ocr tesseract-ocr-chi-tra tesseract-ocr-chi-sim (or use DE_OCR=rapidocr)")

    def read(self, image: np.ndarray) -> list[TextBox]:
        from PIL import Image

        png = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(image[:, :, ::-1])).save(png, format="PNG")  # BGR, as OpenCV reads
        done = subprocess.run(["tesseract", "stdin", "stdout", "-l", self.LANGUAGES, "--psm", "4", "tsv"],
                              input=png.getvalue(), capture_output=True, timeout=300, check=False)
        if done.returncode != 0:
            raise OcrError(f"tesseract failed: {done.stderr.decode(errors='replace').strip()[-300:]}")
        boxes = []
        for row in done.stdout.decode("utf-8", errors="replace").splitlines()[1:]:
            cells = row.split("\t")
            if len(cells) < 12 or not cells[11].strip() or float(cells[10]) < 0:
                continue
            left, top, width, height = (float(v) for v in cells[6:10])
            boxes.append(TextBox(cells[11].strip(), left, top, top + height, left + width, float(cells[10]) / 100))
        return boxes


@functools.cache
def _tesseract_has_chinese() -> bool:
    if shutil.which("tesseract") is None:
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    languages = set(listed.stdout.split())
    return {"chi_tra", "chi_sim"} <= languages


def resolve_engine(engine: str) -> str:
    """The engine ``auto`` stands for on this machine; other names as given."""
    if engine == "auto":
        return "tesseract" if _tesseract_has_chinese() else "rapidocr"
    return engine


@functools.cache
def page_reader(engine: str) -> PageReader:
    """The engine's reader, loaded on first use and kept: its models are read from disk once per process."""
    engine = resolve_engine(engine)
    if engine == "rapidocr":
        return RapidOcrReader()
    if engine == "tesseract":
        return TesseractReader()
    raise OcrError(f"unknown OCR engine {engine!r}; use one of: {', '.join(ENGINES)}")


def boxes_to_lines(boxes: list[TextBox]) -> list[str]:
    """Boxes as lines in reading order: a box joins the line whose middle is within half a typical text
    height of its own. The typical height is the median, so a box an engine drew over several rows of a
    table (a seal, a column of codes) cannot swallow them into one line. (Measured against the alternative
    of growing each line's band from its boxes: the same on prose, far worse on a balance sheet.)"""
    if not boxes:
        return []
    half = float(np.median([b.bottom - b.top for b in boxes])) / 2
    lines: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.middle, b.left)):
        line = lines[-1] if lines else None
        if line is not None and abs(box.middle - sum(b.middle for b in line) / len(line)) <= half:
            line.append(box)
        else:
            lines.append([box])
    text_lines = []
    for line in lines:
        line.sort(key=lambda b: b.left)
        height = max(b.bottom - b.top for b in line)
        text = line[0].text
        for before, box in zip(line, line[1:], strict=False):
            gap = box.left - before.right
            # Far apart (another column of a table): two spaces; close: as one phrase.
            text += ("  " if gap > 1.5 * height else " ") + box.text
        text_lines.append(_SPACE_BETWEEN_CJK.sub("", text).strip())
    return [line for line in text_lines if line]


def read_pdf_page(raw: bytes, index: int, engine: str) -> list[str]:
    """The lines OCR reads on page ``index`` (0-based) of a PDF, rendered by PDFium."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(raw)
    try:
        page = document[index]
        width, height = page.get_size()
        scale = min(RENDER_SCALE, MAX_RENDER_PIXELS / max(width, height, 1))
        image = page.render(scale=scale).to_numpy()
    finally:
        document.close()
    lines = boxes_to_lines(page_reader(engine).read(without_red_ink(image)))
    # Engines read both scripts and mix them on one page (Tesseract's chi_sim wins some characters of a
    # Traditional page): the page is written in one, so its text is put in that one.
    script = dominant_script("".join(lines))
    return [to_script(line, script) for line in lines]


def without_red_ink(image: np.ndarray) -> np.ndarray:
    """The page seen through its red channel, as three grey channels: the red seals Chinese reports print
    over their figures turn white, while black (and blue) print stays dark. Red text is lost with them, a
    price worth paying on financial statements, where a seal covers a column of numbers."""
    red = image[:, :, 2] if image.ndim == 3 else image  # PDFium renders BGR(A)
    return np.ascontiguousarray(np.repeat(red[:, :, None], 3, axis=2))

"""Scanned PDF pages are read by a real OCR engine, offline, and the chunks they give are marked as OCR'd.

The scans are generated here: Chinese text drawn into a picture with the Noto CJK font (Debian's
fonts-noto-cjk, which the browser tests need too) and placed in a PDF page with no text layer. One test
reads a real scanned auditor's report from ../shared/datasets when it is there.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from knowledge.catalog_db import read_catalog, write_catalog
from knowledge.documents import Evidence
from knowledge.formats.ocr import TextBox, boxes_to_lines, resolve_engine, without_red_ink
from knowledge.parsing import DocumentError, ReadOptions, parse_file
from knowledge.reading import read_file

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
REAL_SCAN = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "real_pdfs" / "finance_reports_tw" / "134.pdf"
HAS_TESSERACT = resolve_engine("auto") == "tesseract"

SCANNED_CLAUSE = ["第五条 犹豫期", "自您签收本合同次日起，有15日的犹豫期。", "犹豫期内解除合同的，本公司退还保险费。"]


def _scan(lines: list[str]) -> Image.Image:
    """A page as a scanner sees it: black print on white, about 150 dpi."""
    font = ImageFont.truetype(str(FONT), 34)
    page = Image.new("RGB", (1240, 700), "white")
    draw = ImageDraw.Draw(page)
    for n, line in enumerate(lines):
        draw.text((80, 80 + 70 * n), line, font=font, fill="black")
    return page


def _scanned_pdf(pages: list[list[str] | None]) -> bytes:
    """One PDF page per entry: a picture of the lines, or (None) a page with a text layer."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for lines in pages:
        if lines is None:
            pdf.setFont("STSong-Light", 11)
            pdf.drawString(50, 790, "第一条 本合同由保险单、投保单及其他书面协议构成，投保人应当如实告知。")
        else:
            pdf.drawImage(ImageReader(_scan(lines)), 40, 400, width=515, height=290)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _write(tmp_path: Path, raw: bytes, name: str = "scan.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


needs_font = pytest.mark.skipif(not FONT.exists(), reason="needs fonts-noto-cjk (scripts/ci-system-packages.sh)")


def test_text_boxes_become_lines_in_reading_order_with_columns_apart():
    boxes = [
        TextBox("110年", left=600, top=100, bottom=130, right=680, confidence=0.9),
        TextBox("现金及约当现金", left=100, top=102, bottom=128, right=320, confidence=0.9),
        TextBox("存货", left=100, top=150, bottom=178, right=160, confidence=0.9),
        TextBox("17,682,787", left=600, top=151, bottom=177, right=760, confidence=0.9),
    ]
    assert boxes_to_lines(boxes) == ["现金及约当现金  110年", "存货  17,682,787"]


def test_a_box_drawn_over_several_rows_does_not_swallow_them_into_one_line():
    rows = [TextBox(f"{code}", left=100, top=100 + 40 * n, bottom=126 + 40 * n, right=160, confidence=0.9)
            for n, code in enumerate(("1100", "1110", "1120"))]
    seal = TextBox("印", left=400, top=95, bottom=215, right=520, confidence=0.3)  # a red seal read as text
    assert boxes_to_lines([*rows, seal]) == ["1100", "1110  印", "1120"]


def test_red_seals_turn_white_and_black_print_stays_black():
    import numpy as np

    black, red, white, blue = [0, 0, 0], [30, 30, 220], [255, 255, 255], [200, 60, 20]
    bgr = np.array([[black, red, white, blue]], dtype=np.uint8)
    grey = without_red_ink(bgr)
    assert grey.shape == (1, 4, 3)
    assert grey[0, :, 0].tolist() == [0, 220, 255, 20]


def test_spaces_an_engine_puts_between_chinese_characters_are_removed():
    boxes = [TextBox("會 計 師", left=100, top=10, bottom=40, right=200, confidence=0.9),
             TextBox("核 閱 報 告", left=205, top=10, bottom=40, right=330, confidence=0.9)]
    assert boxes_to_lines(boxes) == ["會計師核閱報告"]


@needs_font
@pytest.mark.slow
@pytest.mark.parametrize("engine", ["rapidocr", pytest.param("tesseract", marks=pytest.mark.skipif(
    not HAS_TESSERACT, reason="tesseract-ocr with chi_sim/chi_tra is not installed"))])
def test_a_scanned_page_is_read_by_ocr_and_its_chunks_are_marked(tmp_path, engine):
    path = _write(tmp_path, _scanned_pdf([SCANNED_CLAUSE]))
    (parsed,) = parse_file(path, ReadOptions(ocr=engine))
    assert parsed.ocr_pages == frozenset({1})
    flat = "".join(parsed.text.split())
    assert "犹豫期" in flat and "15日" in flat and "退还保险费" in flat

    ((document, chunks),) = read_file(path, ReadOptions(ocr=engine))
    assert chunks and all(c.ocr and c.page == 1 for c in chunks)
    assert any(c.section_path[-1:] == ("第五条",) for c in chunks), [c.section_path for c in chunks]
    label = Evidence(chunk=chunks[0], document=document, score=1.0, rank=1).citation_label()
    assert label.endswith("p. 1 (OCR)")


@needs_font
@pytest.mark.slow
def test_only_the_pages_without_a_text_layer_are_ocrd(tmp_path):
    path = _write(tmp_path, _scanned_pdf([None, SCANNED_CLAUSE]))
    ((_, chunks),) = read_file(path, ReadOptions(ocr="rapidocr"))
    by_page = {c.page: c.ocr for c in chunks}
    assert by_page == {1: False, 2: True}


@needs_font
def test_with_ocr_off_a_scan_is_refused_and_the_message_says_how_to_turn_it_on(tmp_path):
    path = _write(tmp_path, _scanned_pdf([SCANNED_CLAUSE]))
    with pytest.raises(DocumentError, match="scanned image PDF without a text layer.*DE_OCR=off"):
        parse_file(path, ReadOptions(ocr="off"))


def test_the_ocr_mark_survives_the_catalog_file(tmp_path):
    from dataclasses import replace

    path = _write(tmp_path, "第五条 犹豫期\n自您签收本合同次日起，有15日的犹豫期。\n".encode(), "clause.md")
    ((document, chunks),) = read_file(path)
    marked = [replace(chunks[0], page=3, ocr=True), *chunks[1:]]
    write_catalog(tmp_path / "catalog.sqlite", [document], marked)
    _, back = read_catalog(tmp_path / "catalog.sqlite")
    assert [(c.page, c.ocr) for c in back] == [(c.page, c.ocr) for c in marked]
    assert back[0].ocr is True


@pytest.mark.slow
@pytest.mark.skipif(not REAL_SCAN.exists(), reason="../shared/datasets/real_pdfs is not on this machine")
def test_a_real_scanned_auditors_report_yields_its_words(tmp_path):
    """A Deloitte review report of TSMC, scanned with seals and signatures: no text layer at all."""
    (parsed,) = parse_file(REAL_SCAN, ReadOptions(ocr="auto"))
    assert parsed.ocr_pages == frozenset({1})
    flat = "".join(parsed.text.split())
    # Words a question about this report would use, read whichever engine "auto" picked, in the page's
    # own script (engines mix in Simplified characters; the page is Traditional throughout).
    for word in ("會計師", "台灣積體電路製造股份有限公司", "民國111年", "3月31日", "金融監督管理委員會"):
        assert word in flat, word


def test_an_unknown_or_missing_engine_is_a_clear_error(tmp_path, monkeypatch):
    from knowledge.formats import ocr

    with pytest.raises(ocr.OcrError, match="unknown OCR engine"):
        ocr.page_reader.__wrapped__("abbyy")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    ocr._tesseract_has_chinese.cache_clear()
    try:
        assert ocr.resolve_engine("auto") == "rapidocr"
        with pytest.raises(ocr.OcrError, match="apt-get install tesseract-ocr"):
            ocr.TesseractReader()
    finally:
        ocr._tesseract_has_chinese.cache_clear()

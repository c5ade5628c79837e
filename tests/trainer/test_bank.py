"""Question bank import: the FinEval staff-exam CSV format, and clear errors for malformed rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.trainer.bank import BankFormatError, load_bank, load_banks, read_bank

EXAM_DEV = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "staff_exam_fineval" / "dev"
HEADER = "id,question,A,B,C,D,answer,explanation\r\n"


def write_bank(folder: Path, body: str, name: str = "demo_bank.csv", encoding: str = "utf-8-sig") -> Path:
    path = folder / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


@pytest.mark.skipif(not EXAM_DEV.is_dir(), reason="the real exam banks come with ../shared/datasets")
def test_imports_every_question_of_the_real_dev_banks_by_subject() -> None:
    questions = load_banks(EXAM_DEV)
    # 45 records (5 per subject): the files have 85 text lines because explanations span lines.
    assert len(questions) == 45
    assert len({q.subject for q in questions}) == 9
    insurance = [q for q in questions if q.subject == "insurance_dev"]
    assert len(insurance) == 5
    first = insurance[0]
    assert first.question.startswith("在下面的风险因素中")
    assert first.options[0] == "汽车刹车系统失灵" and first.answer == "A"
    assert "技术风险因素" in first.explanation  # a quoted field spanning two lines


def test_bom_is_not_part_of_the_first_column_name(tmp_path: Path) -> None:
    path = write_bank(tmp_path, "1,犹豫期是几天？,10日,15日,20日,30日,B,条款第五条\r\n")
    (question,) = load_bank(path)
    assert (question.id, question.answer, question.subject) == ("1", "B", "demo_bank")


def test_reports_each_malformed_row_with_its_line_and_keeps_the_good_ones(tmp_path: Path) -> None:
    body = (
        "1,犹豫期是几天？,10日,15日,20日,30日,B,ok\r\n"
        "2,等待期是几天？,10日,30日,60日,E,\r\n"  # 7 fields
        '3,"多行\r\n题目",甲,乙,丙,丁,C,\r\n'  # a quoted field spanning lines: still one record
        "4,免赔额是多少？,1万元,2万元,,5万元,A,\r\n"
        "5,年费是多少？,100元,200元,300元,0元,E,\r\n"
        "1,重复的题号,a,b,c,d,A,\r\n"
        ",没有题号,a,b,c,d,A,\r\n"
        "8,,a,b,c,d,A,\r\n"
    )
    imported = read_bank(write_bank(tmp_path, body))
    assert [q.id for q in imported.questions] == ["1", "3"]
    errors = {e.line: e.message for e in imported.errors}
    assert "7 fields, expected 8" in errors[3]
    assert "empty option C" in errors[6]
    assert "answer 'E' is not one of A, B, C, D" in errors[7]
    assert "repeats the question on line 2" in errors[8]
    assert errors[9] == "empty id"
    assert "empty question text" in errors[10]
    assert sorted(errors) == [3, 6, 7, 8, 9, 10]


def test_load_refuses_a_bank_with_bad_rows_listing_all_of_them(tmp_path: Path) -> None:
    path = write_bank(tmp_path, "1,q,a,b,c,d,X,\r\n2,q,a,b,c,d,A\r\n")
    with pytest.raises(BankFormatError) as err:
        load_bank(path)
    assert "2 bad row(s)" in str(err.value)
    assert "line 2:" in str(err.value) and "line 3:" in str(err.value)


def test_refuses_a_wrong_header_naming_the_expected_one(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text("题号,题目,A,B,C,D,答案\n1,q,a,b,c,d,A\n", encoding="utf-8")
    with pytest.raises(BankFormatError, match="expected 'id,question,A,B,C,D,answer,explanation'"):
        read_bank(path)


def test_refuses_a_file_that_is_not_utf8_and_says_how_to_fix_it(tmp_path: Path) -> None:
    path = write_bank(tmp_path, "1,犹豫期是几天？,10日,15日,20日,30日,B,\r\n", encoding="gbk")
    with pytest.raises(BankFormatError, match="save the CSV as UTF-8"):
        read_bank(path)


def test_refuses_a_missing_file_and_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(BankFormatError, match="no such file"):
        read_bank(tmp_path / "nope.csv")
    with pytest.raises(BankFormatError, match="holds no .csv"):
        load_banks(tmp_path)

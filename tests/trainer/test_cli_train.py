"""`digital-employee train ...` as a training manager types it (the commands that need no LLM)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.trainer.store import TrainerStore
from ui.cli import app

runner = CliRunner()
HEADER = "id,question,A,B,C,D,answer,explanation\r\n"


def _env(tmp_path: Path) -> dict[str, str]:
    return {"DE_DATA_DIR": str(tmp_path / "data"), "DE_TRAINER_URL": ""}


@pytest.mark.parametrize("command", [["train"], ["train", "lesson"], ["train", "quiz"], ["train", "import"],
                                     ["train", "exam"], ["train", "roleplay"], ["train", "progress"],
                                     ["train", "publish"], ["train", "edit"]])
def test_every_train_command_explains_itself(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_import_refuses_a_bank_with_malformed_rows_and_names_them(tmp_path: Path) -> None:
    bank = tmp_path / "insurance_dev.csv"
    bank.write_text(HEADER + "1,犹豫期是几天？,10日,15日,20日,30日,B,\r\n2,等待期？,10日,30日,60日,90日,E,\r\n",
                    encoding="utf-8-sig")
    result = runner.invoke(app, ["train", "import", str(bank)], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "line 3: question 2: answer 'E' is not one of A, B, C, D" in result.output
    assert "nothing imported" in result.output
    store = TrainerStore(f"sqlite:///{tmp_path / 'data' / 'trainer.sqlite'}")
    assert store.bank_questions() == []

    result = runner.invoke(app, ["train", "import", str(bank), "--skip-bad"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "imported 1 questions into subject insurance_dev (1 bad rows skipped)" in result.output
    assert [q.id for q in store.bank_questions("insurance_dev")] == ["1"]
    store.close()


def test_import_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "import", str(tmp_path / "nope.csv")], env=_env(tmp_path))
    assert result.exit_code == 2 and "no such file" in result.output


def test_progress_prints_and_exports_csv_and_html(tmp_path: Path) -> None:
    store = TrainerStore(f"sqlite:///{tmp_path / 'data' / 'trainer.sqlite'}")
    store.record_attempt("张三", "quiz", "medical", 0.25, "等待期几天？")
    store.record_attempt("张三", "roleplay", "cooling-off-cancel", 0.9)
    store.close()
    out_csv, out_html = tmp_path / "progress.csv", tmp_path / "progress.html"
    result = runner.invoke(app, ["train", "progress", "--csv", str(out_csv), "--html", str(out_html)],
                           env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "张三" in result.output and "weak: medical" in result.output
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert [r["topic"] for r in rows] == ["medical", "cooling-off-cancel"]
    assert "<h2>Trainees</h2>" in out_html.read_text(encoding="utf-8")


def test_personas_and_an_unknown_persona(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "personas"], env=_env(tmp_path))
    assert "angry-claimant" in result.output and "cooling-off-cancel" in result.output
    result = runner.invoke(app, ["train", "roleplay", "nobody"], env=_env(tmp_path))
    assert result.exit_code == 2 and "unknown persona 'nobody'" in result.output


def test_publish_of_an_unknown_lesson_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "publish", "7"], env=_env(tmp_path))
    assert result.exit_code == 2 and "no lesson 7" in result.output


def test_exam_refuses_a_malformed_bank_before_starting_the_model(tmp_path: Path) -> None:
    bank = tmp_path / "bad.csv"
    bank.write_text("id,question\n1,q\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "exam", str(bank), "--out", str(tmp_path / "out")], env=_env(tmp_path))
    assert result.exit_code == 2 and "expected 'id,question,A,B,C,D,answer,explanation'" in result.output
    assert not (tmp_path / "out").exists()

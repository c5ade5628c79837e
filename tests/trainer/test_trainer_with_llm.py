"""The trainer end to end with the real packaged LLM and the real demo knowledge base (slow)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from agent.answering.grounding import support
from agent.trainer.bank import load_bank
from agent.trainer.exam import run_exam
from agent.trainer.quiz import numbers, verify_item
from agent.trainer.trainer import Trainer
from settings import Settings

pytestmark = pytest.mark.slow
INSURANCE_BANK = (Path(__file__).resolve().parents[3] / "shared" / "datasets" / "staff_exam_fineval" / "dev"
                  / "insurance_dev.csv")


@pytest.fixture(scope="module")
def trainer(settings: Settings, demo_answerer) -> Trainer:  # type: ignore[no-untyped-def]
    return Trainer(settings, llm=demo_answerer.llm, kb=demo_answerer.retriever.kb)


def test_lesson_points_each_cite_a_clause_that_supports_them_and_are_cached(trainer: Trainer) -> None:
    lesson = trainer.lesson("term-life", refresh=True, clauses=2)
    assert lesson.points, f"no point survived the support check; dropped: {lesson.dropped}"
    assert {p.category for p in lesson.points} <= {"key_point", "tell_customer", "never_say", "common_mistake"}
    for point in lesson.points:
        (clause,) = point.clauses
        assert clause in lesson.sources
        assert clause.document_title == "海湾守护定期寿险条款"
    started = time.perf_counter()
    again = trainer.lesson("term-life", clauses=2)
    assert time.perf_counter() - started < 5.0  # from the cache (no LLM call), keyed by content hashes
    assert len(list(trainer.lesson_cache.glob(f"{lesson.cache_key}.json"))) == 1
    assert again == lesson


def test_quiz_items_keep_only_keys_their_clause_supports(trainer: Trainer) -> None:
    quiz = trainer.quiz("medical", n=3, open_every=0)
    assert quiz.generated == 3
    assert len(quiz.items) + sum(quiz.discarded.values()) == 3
    assert quiz.items, f"every drafted item was discarded: {quiz.discarded}"
    for item in quiz.items:
        assert verify_item(item) is None
        key = item.options["ABCD".index(item.answer)]
        assert numbers(key) <= numbers(item.clause.text)
        assert support(item.question + key, item.clause.text) >= 0.5 or numbers(key)


@pytest.mark.skipif(not INSURANCE_BANK.is_file(), reason="the real exam banks come with ../shared/datasets")
def test_exam_of_three_questions_writes_results_and_accuracy(trainer: Trainer, tmp_path: Path) -> None:
    questions = list(load_bank(INSURANCE_BANK))[:3]
    summary = run_exam(trainer.llm, questions, tmp_path, trainer.retriever)
    lines = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    results = [json.loads(line) for line in lines]
    assert all(r["predicted"] in {"A", "B", "C", "D"} for r in results), results
    assert all(len(r["evidence"]) == 3 for r in results)
    assert summary["questions"] == 3 and summary["by_subject"]["insurance_dev"]["questions"] == 3
    assert summary["accuracy"] == sum(r["correct"] for r in results) / 3
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8")) == summary


def test_roleplay_turn_scores_the_staff_reply_and_the_customer_answers(trainer: Trainer) -> None:
    session = trainer.roleplay("cooling-off-cancel")
    assert "不想要了" in session.opening()
    good, customer = session.respond("非常理解您的想法。您还在15日犹豫期内，可以申请解除合同，我们会无息退还您所支付的"
                                     "全部保险费。请您填写申请书，带上保险合同和身份证件，我帮您预约办理。")
    assert re.search(r"[\u4e00-\u9fff]", customer)
    assert [t.speaker for t in session.turns] == ["客户", "员工", "客户"]
    assert good.by_name("disclosures").score == 1.0 and good.total >= 70
    assert any(c.document_title == "海湾守护定期寿险条款" for c in session.evidence("犹豫期退保"))
    bad = session.score("这个产品稳赚不赔，退了就亏了。")
    assert bad.total < good.total - 40


@pytest.mark.skipif(not INSURANCE_BANK.is_file(), reason="the real exam banks come with ../shared/datasets")
def test_cli_exam_with_its_own_knowledge_base_folder(settings: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ui.cli import app

    laws = tmp_path / "laws"
    laws.mkdir()
    (laws / "保险法摘录.md").write_text(
        "# 保险法摘录\n\n## 第十条\n\n保险合同是投保人与保险人约定保险权利义务关系的协议。\n\n"
        "## 第十二条\n\n人身保险的投保人在保险合同订立时，对被保险人应当具有保险利益。\n", encoding="utf-8")
    env = {"DE_DATA_DIR": str(settings.data_dir), "DE_MODELS_DIR": str(settings.model_cache)}
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "exam", str(INSURANCE_BANK), "--kb", str(laws), "--limit", "1",
                                      "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "insurance_dev" in result.output and "overall" in result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["questions"] == 1 and summary["retrieval"] is True and summary["kb"] == str(laws)
    (row,) = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["evidence"] and all(label.startswith("保险法摘录") for label in row["evidence"])
    assert list((settings.data_dir / "kb").glob("trainer-laws-*"))  # its own knowledge base under the data dir

"""The evals page's figures and words: formatted as a person reads them, and true to what a run does."""

from __future__ import annotations

from ui.pages.evals import figure, mode_text, summary_html


def test_figures_are_rounded_to_three_places_and_counts_stay_whole():
    assert figure(0.7166666666) == "0.717" and figure(0.5) == "0.5" and figure(1.0) == "1"
    assert figure(24) == 24 and figure(True) == "✓" and figure(False) == "✗" and figure(None) == ""


def test_a_run_summary_is_a_table_of_figures_not_a_dict():
    shown = summary_html({"suite": "demo", "cases": 3, "recall_at_5": 0.6666666667, "mrr": 0.41666666,
                          "gates_passed": False, "config": {"k": 5}})
    assert "<td>0.667</td>" in shown and "<td>0.417</td>" in shown and "<td>✗</td>" in shown
    assert "{" not in shown and "0.6666" not in shown


def test_retrieval_only_is_not_described_as_answered_by_the_llm():
    for language in ("zh", "en"):
        retrieval = mode_text(language, "retrieval")
        assert "LLM" not in retrieval and "大模型" not in retrieval
    assert "no answer is generated" in mode_text("en", "retrieval")

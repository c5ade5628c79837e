"""The evals page for QA: pick a suite (the demo suite first), run it (retrieval-only by default), read
the summary's figures, open the HTML report; past runs are listed, and so are the stage timings of
recent spoken turns. Words in Chinese or English (``ui/strings.yaml``, section ``evals``).

What a run does is said as it is: the runner indexes the suite's own corpus (not the live knowledge
base), and a retrieval-only run generates no answers, whatever the suite's description says of its
answer mode."""

from __future__ import annotations

import html
import re
from typing import Any

import gradio as gr

from ui.context import AppContext
from ui.web import PageText, nav_bar, text
from voice.turn_timings import STORED_PREFIX, from_stored, summary_rows

VOICE_TURNS = 200
DEFAULT_SUITE = "demo"
# Figures of a run's summary, in the order shown (the whole summary is in the run folder).
FIGURES = ("cases", "failed_cases", "recall_at_1", "recall_at_5", "recall_at_10", "mrr", "ndcg_at_10",
           "correct_refusal_rate", "false_refusal_rate", "citation_precision", "faithfulness",
           "latency_total_p50_s", "run_seconds", "gates_passed")


def figure(value: Any) -> Any:
    """A figure as a person reads it: 0.717, not 0.71666666; counts and flags as they are."""
    if isinstance(value, bool) or value is None:
        return "✓" if value is True else ("✗" if value is False else "")
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return value


def summary_html(summary: dict[str, Any]) -> str:
    """The headline figures of a run as a two-column table (never a raw dict)."""
    rows = "".join(f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(str(figure(summary[k])))}</td></tr>"
                   for k in FIGURES if summary.get(k) is not None)
    return f"<table class='eval-figures'>{rows}</table>"


def mode_text(language: str, mode: str) -> str:
    return text(language, "evals.mode_retrieval" if mode == "retrieval" else "evals.mode_full")


def build_evals_page(ctx: AppContext) -> gr.Blocks:
    words = PageText("evals")

    def reports() -> list[list[Any]]:
        return [[r["run"], r.get("suite"), r.get("mode"), r.get("cases"), figure(r.get("recall_at_5")),
                 figure(r.get("mrr")), figure(r.get("gates_passed")), r.get("started_at")]
                for r in ctx.evals.reports()]

    def describe(suite: str | None, retrieval_only: bool, language: str) -> str:
        """What a run of ``suite`` will do: the suite's own words, then the mode this run uses."""
        found = next((s for s in ctx.evals.suites() if s["name"] == suite), None)
        if found is None:
            return ""
        mode = "retrieval" if retrieval_only or found.get("mode") == "retrieval" else "answer"
        about = found.get("description", "") if mode == "answer" else found.get("title", found["name"])
        return (f"{html.escape(str(about))}\n\n**{mode_text(language, mode)}** "
                f"{text(language, 'evals.index_note')}")

    def start(suite: str | None, retrieval_only: bool, limit: float | None, language: str) -> tuple[str, str]:
        if not suite:
            raise gr.Error(text(language, "evals.pick_suite"))
        try:
            job = ctx.evals.start(suite, retrieval_only, int(limit) if limit else None)
        except ValueError as err:
            raise gr.Error(str(err)) from None
        return job.id, text(language, "evals.queued").format(job=job.id, suite=suite,
                                                            mode=mode_text(language, job.mode))

    def status(job_id: str | None, language: str) -> tuple[Any, Any, Any]:
        if not job_id:
            return gr.skip(), gr.skip(), gr.skip()
        job = ctx.evals.job(job_id).to_dict()
        if job["status"] in ("queued", "running"):
            return (text(language, "evals.running").format(job=job_id, suite=job["suite"],
                                                           status=text(language, f"evals.status.{job['status']}")),
                    gr.skip(), gr.skip())
        if job["status"] == "failed":
            return text(language, "evals.failed").format(job=job_id, error=job["error"]), None, reports()
        link = f"/api/evals/reports/{job['run']}/report.html"
        done = text(language, "evals.done").format(job=job_id, suite=job["suite"], link=link)
        return (f"{done}\n\n{mode_text(language, job['mode'])}\n\n{summary_html(job['summary'] or {})}",
                None, reports())

    def voice_turns() -> list[list[Any]]:
        return [[figure(v) for v in row]
                for row in summary_rows(from_stored(t) for t in ctx.audit.recent_timings(STORED_PREFIX, VOICE_TURNS))]

    suites = ctx.evals.suites()
    names = [s["name"] for s in suites]
    # "demo — The 24 demo questions": the suite's own description, up to its first aside.
    choices = [(f"{s['name']} — {re.split(r'[(,;:.，（]', s.get('description') or s['name'])[0].strip()}",
                s["name"]) for s in suites]
    with gr.Blocks(title="Evals · 评测") as page:
        nav_bar("/evals")
        language = gr.State("zh")
        words(gr.Markdown(text("zh", "evals.title")), "title", "value")
        with gr.Row():
            suite = words(gr.Dropdown(label=text("zh", "evals.suite"), choices=choices, elem_id="suite",
                                      value=DEFAULT_SUITE if DEFAULT_SUITE in names else None), "suite")
            retrieval_only = words(gr.Checkbox(value=True, label=text("zh", "evals.retrieval_only"),
                                               elem_id="retrieval-only"), "retrieval_only")
            limit = words(gr.Number(None, label=text("zh", "evals.limit"), precision=0, elem_id="limit"), "limit")
        about = gr.Markdown(elem_id="suite-about")
        run = words(gr.Button(text("zh", "evals.run"), variant="primary", elem_id="run"), "run", "value")
        job = gr.State(None)
        outcome = gr.Markdown(elem_id="eval-result")
        table = words(gr.Dataframe(headers=text("zh", "evals.columns"), interactive=False, elem_id="reports",
                                   wrap=True, elem_classes="table-wrap"), "columns", "headers")
        voice_title = gr.Markdown(text("zh", "evals.voice_title").format(n=VOICE_TURNS))
        voice = words(gr.Dataframe(headers=text("zh", "evals.voice_columns"), interactive=False,
                                   elem_id="voice-turns", elem_classes="table-wrap"), "voice_columns", "headers")
        refresh = words(gr.Button(text("zh", "evals.refresh"), size="sm", elem_id="refresh-voice"), "refresh",
                        "value")
        words.relabel_on_load(page, language)
        page.load(reports, None, table)
        page.load(voice_turns, None, voice)
        page.load(describe, [suite, retrieval_only, language], about)
        language.change(lambda lang: text(lang, "evals.voice_title").format(n=VOICE_TURNS), language, voice_title)
        for changed in (suite.change, retrieval_only.change, language.change):
            changed(describe, [suite, retrieval_only, language], about)
        refresh.click(voice_turns, None, voice)
        run.click(start, [suite, retrieval_only, limit, language], [job, outcome])
        gr.Timer(2.0).tick(status, [job, language], [outcome, job, table], show_progress="hidden")
    return page

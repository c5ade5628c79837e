"""The evals page for QA: pick a suite, run it (retrieval-only by default), read the summary, open the
HTML report; past runs are listed, and so are the stage timings of recent spoken turns."""

from __future__ import annotations

import json
from typing import Any

import gradio as gr

from ui.context import AppContext
from voice.turn_timings import STORED_PREFIX, from_stored, summary_rows

REPORT_COLUMNS = ["run", "suite", "mode", "cases", "recall@5", "MRR", "gates passed", "started (UTC)"]
VOICE_COLUMNS = ["reply", "stage", "turns", "p50 ms", "p95 ms"]
VOICE_TURNS = 200


def build_evals_page(ctx: AppContext) -> gr.Blocks:
    def reports() -> list[list[Any]]:
        return [[r["run"], r.get("suite"), r.get("mode"), r.get("cases"), r.get("recall_at_5"), r.get("mrr"),
                 r.get("gates_passed"), r.get("started_at")] for r in ctx.evals.reports()]

    def start(suite: str | None, retrieval_only: bool, limit: float | None) -> tuple[str, str]:
        if not suite:
            raise gr.Error("Pick a suite.")
        try:
            job = ctx.evals.start(suite, retrieval_only, int(limit) if limit else None)
        except ValueError as err:
            raise gr.Error(str(err)) from None
        return job.id, f"Run {job.id} of **{suite}** queued ({job.mode} mode)…"

    def status(job_id: str | None) -> tuple[Any, Any, Any]:
        if not job_id:
            return gr.skip(), gr.skip(), gr.skip()
        job = ctx.evals.job(job_id).to_dict()
        if job["status"] in ("queued", "running"):
            return f"Run {job_id} of **{job['suite']}**: {job['status']}…", gr.skip(), gr.skip()
        if job["status"] == "failed":
            return f"Run {job_id} failed: {job['error']}", None, reports()
        link = f"/api/evals/reports/{job['run']}/report.html"
        text = (f"Run {job_id} of **{job['suite']}** done. [Open the HTML report]({link})\n\n"
                f"```json\n{json.dumps(job['summary'], ensure_ascii=False, indent=2)}\n```")
        return text, None, reports()

    def voice_turns() -> list[list[Any]]:
        return summary_rows(from_stored(t) for t in ctx.audit.recent_timings(STORED_PREFIX, VOICE_TURNS))

    suites = ctx.evals.suites()
    with gr.Blocks(title="Evals") as page:
        gr.Markdown("## Evals\nRun a suite against the live knowledge base. Retrieval-only runs need no LLM. "
                    "[Log out](/logout)")
        with gr.Row():
            suite = gr.Dropdown(label="Suite", choices=[(f"{s['name']} — {s.get('description', '')[:60]}", s["name"])
                                                        for s in suites], elem_id="suite")
            retrieval_only = gr.Checkbox(value=True, label="retrieval only", elem_id="retrieval-only")
            limit = gr.Number(label="first N cases (empty: all)", precision=0, elem_id="limit")
        run = gr.Button("Run", variant="primary", elem_id="run")
        job = gr.State(None)
        outcome = gr.Markdown(elem_id="eval-result")
        table = gr.Dataframe(headers=REPORT_COLUMNS, interactive=False, elem_id="reports", wrap=True)
        gr.Markdown(f"### Spoken turns\nThe last {VOICE_TURNS} hands-free turns on the customer page: "
                    "milliseconds after the end of the customer's speech.")
        voice = gr.Dataframe(headers=VOICE_COLUMNS, interactive=False, elem_id="voice-turns")
        refresh = gr.Button("Refresh", size="sm", elem_id="refresh-voice")
        page.load(reports, None, table)
        page.load(voice_turns, None, voice)
        refresh.click(voice_turns, None, voice)
        run.click(start, [suite, retrieval_only, limit], [job, outcome])
        gr.Timer(2.0).tick(status, job, [outcome, job, table], show_progress="hidden")
    return page

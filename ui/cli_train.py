"""`digital-employee train ...`: the virtual trainer on the command line (lessons, quizzes, exams,
role-play, progress). Thin: parses options, calls agent.trainer, prints."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from settings import Settings

train_app = typer.Typer(no_args_is_help=True,
                        help="The virtual trainer: lessons, quizzes, exams and role-play from the documents.")


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj  # type: ignore[no-any-return]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _trainer(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from agent.trainer.trainer import Trainer

    return Trainer(_settings(ctx))


@train_app.command("lesson")
def lesson(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="Product tag (medical, term-life, ...) or document title.")],
    refresh: Annotated[bool, typer.Option(help="Draft again even if a cached lesson exists.")] = False,
    clauses: Annotated[int | None, typer.Option(min=1, help="How many focus clauses to teach (default 5).")] = None,
    save: Annotated[bool, typer.Option(help="Store the lesson as a draft in the trainer database.")] = False,
    author: Annotated[str | None, typer.Option(help="Trainer who saves the draft.")] = None,
) -> None:
    """A lesson on TOPIC: key points, what to tell customers, what never to say, common mistakes, each cited."""
    from agent.trainer.materials import UnknownTopicError

    trainer = _trainer(ctx)
    try:
        result = trainer.lesson(topic, refresh=refresh, clauses=clauses)
    except UnknownTopicError as err:
        raise _fail(str(err)) from None
    typer.echo(result.markdown())
    typer.echo(f"\n{len(result.points)} points kept, {len(result.dropped)} dropped as unsupported by the clauses")
    if save:
        typer.echo(f"saved draft lesson {trainer.save_draft(result, author)}; publish with "
                   f"`digital-employee train publish ID`")


@train_app.command("lessons")
def lessons(ctx: typer.Context) -> None:
    """List stored lessons with their status (draft or published)."""
    from agent.trainer.store import open_store

    for rec in open_store(_settings(ctx)).lessons():
        typer.echo(f"{rec.id:4}  {rec.status.value:9}  {rec.topic}  {len(rec.content.get('points', []))} points"
                   f"  updated {rec.updated_at:%Y-%m-%d %H:%M}" + (f"  by {rec.author}" if rec.author else ""))


@train_app.command("edit")
def edit(
    ctx: typer.Context,
    lesson_id: Annotated[int, typer.Argument(help="Lesson id (see `train lessons`).")],
    points_file: Annotated[Path | None, typer.Option("--points", help="JSON list of {category, text} to store.")]
    = None,
    author: Annotated[str | None, typer.Option(help="Trainer who edits.")] = None,
) -> None:
    """Print a lesson's points as JSON, or replace them from --points FILE (the lesson goes back to draft)."""
    from agent.trainer.editing import LessonEditError, apply_points_edit
    from agent.trainer.store import UnknownLessonError, open_store

    store = open_store(_settings(ctx))
    try:
        record = store.lesson(lesson_id)
        if points_file is None:
            points = [{"category": p["category"], "text": p["text"]} for p in record.content["points"]]
            typer.echo(json.dumps(points, ensure_ascii=False, indent=1))
            return
        content = apply_points_edit(record.content, points_file.read_text(encoding="utf-8"))
        store.edit_lesson(lesson_id, content, author)
    except (UnknownLessonError, LessonEditError, OSError) as err:
        raise _fail(str(err)) from None
    typer.echo(f"lesson {lesson_id} updated ({len(content['points'])} points); it is a draft until published")


@train_app.command("publish")
def publish(ctx: typer.Context, lesson_id: Annotated[int, typer.Argument(help="Lesson id.")]) -> None:
    """Publish a draft lesson to trainees."""
    from agent.trainer.store import UnknownLessonError, open_store

    try:
        record = open_store(_settings(ctx)).publish_lesson(lesson_id)
    except UnknownLessonError as err:
        raise _fail(str(err)) from None
    typer.echo(f"lesson {record.id} ({record.topic}) published")


@train_app.command("quiz")
def quiz(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="Product tag or document title.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Questions to draft (unsupported ones are discarded).")] = 5,
    mcq_only: Annotated[bool, typer.Option(help="Multiple choice only (no open questions).")] = False,
    trainee: Annotated[str | None, typer.Option(help="Take the quiz interactively and record the scores.")] = None,
) -> None:
    """Draft a quiz on TOPIC from its clauses; keys the clause does not support are discarded."""
    from agent.trainer.grading import grade_open_answer
    from agent.trainer.materials import UnknownTopicError
    from agent.trainer.quiz import grade_choice

    trainer = _trainer(ctx)
    try:
        result = trainer.quiz(topic, n, open_every=0 if mcq_only else 3)
    except (UnknownTopicError, ValueError) as err:
        raise _fail(str(err)) from None
    typer.echo(f"{len(result.items)} of {result.generated} drafted questions kept "
               f"(discarded: {result.discarded or 'none'})\n")
    for i, item in enumerate(result.items, 1):
        typer.echo(f"{i}. {item.question}")
        for letter, option in zip("ABCD", item.options, strict=False):
            typer.echo(f"   {letter}. {option}")
        if trainee is None:
            typer.echo(f"   key: {item.answer}    source: {item.clause.cite(item.answer)}\n")
            continue
        reply = typer.prompt("   your answer")
        if item.kind == "mcq":
            correct, feedback = grade_choice(item, reply)
            score = float(correct)
        else:
            grade = grade_open_answer(reply, item.answer, item.clause, trainer.settings.trainer_pass_coverage)
            score, feedback = grade.coverage, grade.feedback
        typer.echo(f"   {feedback}\n")
        trainer.store.record_attempt(trainee, "quiz" if item.kind == "mcq" else "open", topic, score,
                                     item.question, {"reply": reply, "key": item.answer})


@train_app.command("import")
def import_bank(
    ctx: typer.Context,
    bank: Annotated[Path, typer.Argument(help="Question bank CSV: id,question,A,B,C,D,answer,explanation.")],
    skip_bad: Annotated[bool, typer.Option(help="Import the good rows even when some rows are malformed.")] = False,
) -> None:
    """Import a multiple-choice question bank into the trainer database; malformed rows are listed."""
    from agent.trainer.bank import BankFormatError, read_bank
    from agent.trainer.store import open_store

    try:
        imported = read_bank(bank)
    except BankFormatError as err:
        raise _fail(str(err)) from None
    for error in imported.errors:
        typer.secho(f"  {bank.name} {error}", fg=typer.colors.YELLOW, err=True)
    if imported.errors and not skip_bad:
        raise _fail(f"{len(imported.errors)} malformed row(s), nothing imported; fix them or pass --skip-bad", 1)
    written = open_store(_settings(ctx)).import_questions(imported.questions)
    typer.echo(f"imported {written} questions into subject {bank.stem}"
               + (f" ({len(imported.errors)} bad rows skipped)" if imported.errors else ""))


@train_app.command("exam")
def exam(
    ctx: typer.Context,
    bank: Annotated[Path, typer.Argument(help="Question bank CSV, or a folder of them (one subject each).")],
    out: Annotated[Path, typer.Option(help="Folder for results.jsonl and summary.json.")],
    kb: Annotated[Path | None, typer.Option(help="Folder of documents to retrieve evidence from "
                                                 "(default: the configured knowledge base).")] = None,
    no_retrieval: Annotated[bool, typer.Option("--no-retrieval", help="Answer without evidence.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N questions.")] = None,
) -> None:
    """Let the LLM sit an exam bank (A-D) with or without retrieved evidence; accuracy overall and by subject."""
    from agent.trainer.bank import BankFormatError, load_banks
    from agent.trainer.exam import format_table, run_exam
    from agent.trainer.trainer import Trainer, corpus_knowledge_base

    settings = _settings(ctx)
    try:
        questions = list(load_banks(bank))[:limit]
        knowledge = None
        if not no_retrieval and kb is not None:
            knowledge = corpus_knowledge_base(settings, kb)
    except (BankFormatError, FileNotFoundError, ValueError) as err:
        raise _fail(str(err)) from None
    trainer = Trainer(settings, kb=knowledge)
    retriever = None if no_retrieval else trainer.retriever

    def progress(done: int, total: int) -> None:
        typer.echo(f"\r{done}/{total}", nl=False, err=True)

    summary = run_exam(trainer.llm, questions, out, retriever, progress, bank=str(bank),
                       kb=str(kb) if kb and not no_retrieval else (None if no_retrieval else settings.kb_name),
                       finished=datetime.now().isoformat(timespec="seconds"))
    typer.echo("", err=True)
    typer.echo(format_table(summary))
    typer.echo(f"unparsed replies: {summary['unparsed']}; results in {out}")


@train_app.command("personas")
def personas_list() -> None:
    """List the role-play personas."""
    from agent.trainer.roleplay import personas

    for p in personas().values():
        typer.echo(f"{p.id:26} {p.name}")


@train_app.command("roleplay")
def roleplay(
    ctx: typer.Context,
    persona_id: Annotated[str, typer.Argument(metavar="PERSONA", help="Persona id (see `train personas`).")],
    trainee: Annotated[str | None, typer.Option(help="Record the scores under this trainee.")] = None,
    turns: Annotated[int, typer.Option(min=1, help="Most staff replies before the session ends.")] = 5,
) -> None:
    """Rehearse a difficult customer: the LLM plays PERSONA, you answer on stdin (empty line ends);
    each reply is scored against the rubric with feedback quoting the clause."""
    trainer = _trainer(ctx)
    try:
        session = trainer.roleplay(persona_id)
    except ValueError as err:
        raise _fail(str(err)) from None
    typer.echo(f"[{session.persona.name}]\n客户：{session.opening()}")
    for _ in range(turns):
        typer.echo("员工：", nl=False)
        line = sys.stdin.readline()
        if not line.strip():
            break
        score, customer = session.respond(line)
        typer.echo(f"  得分 {score.total:.0f}/100")
        for c in score.criteria:
            typer.echo(f"  - {c.title} {c.score:.0%}: {c.feedback}")
        if trainee:
            trainer.store.record_attempt(trainee, "roleplay", persona_id, score.total / 100, line.strip(),
                                         score.to_dict())
        typer.echo(f"客户：{customer}")
    if session.scores:
        typer.echo(f"session mean {session.mean_score:.0f}/100 over {len(session.scores)} replies")


@train_app.command("progress")
def progress(
    ctx: typer.Context,
    trainee: Annotated[str | None, typer.Option(help="Only this trainee.")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write every attempt to this CSV file.")] = None,
    html_file: Annotated[Path | None, typer.Option("--html", help="Write an HTML report to this file.")] = None,
) -> None:
    """Scores per trainee, weak topics, and exports for a training manager."""
    from agent.trainer.progress import attempts_csv, progress_html, summarize
    from agent.trainer.store import open_store

    attempts = open_store(_settings(ctx)).attempts(trainee)
    if not attempts:
        typer.echo("no training attempts recorded yet" + (f" for {trainee}" if trainee else ""))
    for p in summarize(attempts):
        typer.echo(f"{p.trainee:20} {p.attempts:4} attempts  mean {p.mean:.0%}  weak: "
                   f"{', '.join(p.weak_topics) or '—'}  last {p.last_activity}")
    if csv_file:
        csv_file.write_text(attempts_csv(attempts), encoding="utf-8")
        typer.echo(f"wrote {csv_file}")
    if html_file:
        html_file.write_text(progress_html(attempts), encoding="utf-8")
        typer.echo(f"wrote {html_file}")

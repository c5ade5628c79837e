"""The body of ``digital-employee ask``: one message through a :class:`~agent.dialogue.conversation.Conversation`
(the same routing, guardrails, calculators, audit and hand-offs as the web chat), optionally continuing
a session stored in the audit log."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import typer

from settings import Settings

if TYPE_CHECKING:
    from agent import AnswerEvent

ProgressFn = Callable[[str, int, int], None]


class AskError(Exception):
    """A mistake the user can fix (unknown session, missing model package); the message says how."""


def ask(settings: Settings, question: str, as_json: bool, session: str | None,
        progress: ProgressFn | None = None) -> None:
    from agent import final_of
    from agent.dialogue.conversation import Conversation
    from agent.employee import build_answerer
    from agent.records.audit import UnknownSessionError, open_audit_log
    from modelpacks import MissingModelPackage

    audit = open_audit_log(settings)
    try:
        answerer = build_answerer(settings, progress)
        if session:
            conversation = Conversation.resume(answerer, audit, session)
        else:
            conversation = Conversation(answerer, audit, channel="cli")
        live = not as_json and sys.stdout.isatty()
        reply = final_of(_echoing(conversation.stream(question)) if live else conversation.stream(question)).reply
    except MissingModelPackage as err:
        raise AskError(str(err)) from None
    except UnknownSessionError:
        raise AskError(f"no session {session!r} in the audit log {audit.url}; "
                       "start a new one by leaving out --session") from None
    if as_json:
        typer.echo(json.dumps({**reply.to_dict(), "session_id": conversation.session_id}, ensure_ascii=False,
                              indent=2))
        return
    if live:
        typer.echo("\r\033[K", nl=False)
    typer.echo(reply.text)
    for c in reply.citations:
        typer.echo(f"  [{c.n}] {c.label()}")
    typer.secho(f"(session {conversation.session_id}: continue with --session)", err=True, dim=True)


def _echoing(events: Iterable[AnswerEvent]) -> Iterator[AnswerEvent]:
    """The events passed on, the answer's text written to the terminal as it is generated."""
    from agent import Delta

    for event in events:
        if isinstance(event, Delta):
            typer.echo(event.text, nl=False)
        yield event

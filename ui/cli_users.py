"""`digital-employee users`: accounts and API keys of the web app (stored under the data folder)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from settings import Settings

users_app = typer.Typer(no_args_is_help=True, help="Web app accounts: add users with a role, issue API keys.")


def _store(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from ui.users import UserStore, users_url

    settings: Settings = ctx.obj
    return UserStore(users_url(settings))


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (letters, digits, _ . @ -).")],
    role: Annotated[str, typer.Option(help="customer, staff, admin or qa.")] = "customer",
    password: Annotated[bool, typer.Option(
        "--password/--no-password", help="Ask for a password for the web login (else API key only).")] = True,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (first line), for scripts.")] = False,
) -> None:
    """Add a user and print their first API key (shown once; only its hash is stored)."""
    from ui.users import UserError

    if password_stdin:
        secret: str | None = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            raise _fail("--password-stdin read an empty line; pipe the password in, e.g. "
                        "`printf '%s\\n' \"$PW\" | digital-employee users add NAME --role staff --password-stdin`")
    else:
        secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    store = _store(ctx)
    try:
        user = store.add_user(name, role, secret)
    except (UserError, ValueError) as err:
        raise _fail(str(err)) from None
    typer.echo(f"added {user.name} ({user.role.value}); API key (shown once): {store.new_key(user.name)}")


@users_app.command("key")
def users_key(ctx: typer.Context, name: Annotated[str, typer.Argument(help="An existing user.")]) -> None:
    """Issue another API key for a user (shown once)."""
    from ui.users import UserError

    try:
        typer.echo(_store(ctx).new_key(name))
    except UserError as err:
        raise _fail(str(err)) from None


@users_app.command("password")
def users_password(ctx: typer.Context, name: Annotated[str, typer.Argument(help="An existing user.")]) -> None:
    """Set or change a user's web-login password."""
    from ui.users import UserError

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        _store(ctx).set_password(name, secret)
    except UserError as err:
        raise _fail(str(err)) from None
    typer.echo(f"password of {name} set")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List the users and their roles."""
    users = _store(ctx).users()
    if not users:
        typer.echo("no users yet: `digital-employee users add NAME --role admin`")
    for user in users:
        typer.echo(f"{user.name:24} {user.role.value:9} {'password' if user.has_password else 'key only'}")

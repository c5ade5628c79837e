"""Accounts at rest: passwords under scrypt, API keys only as digests, cookies that cannot be forged,
a token bucket that refills; and the `users` commands that manage them."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from ui.auth import CookieSigner
from ui.cli import app
from ui.ratelimit import RateLimiter
from ui.users import Role, UserError, UserStore, hash_password, verify_password

runner = CliRunner()


def test_passwords_are_stored_as_salted_scrypt_hashes():
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert stored != hash_password("correct horse"), "each hash has its own salt"
    assert verify_password("correct horse", stored) and not verify_password("wrong horse", stored)


def test_api_keys_are_kept_only_as_digests(tmp_path):
    store = UserStore(f"sqlite:///{tmp_path / 'users.sqlite'}")
    store.add_user("ada", "admin", "pw-long-enough")
    key = store.new_key("ada")
    assert store.user_for_key(key).role is Role.ADMIN
    assert store.user_for_key(key + "x") is None
    dump = "\n".join(sqlite3.connect(tmp_path / "users.sqlite").iterdump())
    assert key not in dump and "pw-long-enough" not in dump


def test_a_duplicate_user_an_unknown_role_and_a_bad_name_are_refused(tmp_path):
    store = UserStore(f"sqlite:///{tmp_path / 'users.sqlite'}")
    store.add_user("sam", Role.STAFF)
    with pytest.raises(UserError, match="already exists"):
        store.add_user("sam", Role.STAFF)
    with pytest.raises(ValueError, match="customer, staff, admin, qa"):
        store.add_user("bob", "boss")
    with pytest.raises(UserError, match="not allowed"):
        store.add_user("bob smith", "staff")
    with pytest.raises(UserError, match="users add"):
        store.new_key("nobody")


def test_a_signed_cookie_rejects_tampering_and_expires():
    signer = CookieSigner(b"k" * 32, max_age_s=60)
    token = signer.sign({"sub": "carol"})
    assert signer.read(token)["sub"] == "carol"
    body, mac = token.rsplit(".", 1)
    assert signer.read(body + "." + "0" * len(mac)) is None
    assert CookieSigner(b"other-secret" * 3, 60).read(token) is None
    assert CookieSigner(b"k" * 32, max_age_s=-1).read(token) is None


def test_the_token_bucket_allows_a_burst_then_refills_at_the_set_rate():
    limiter = RateLimiter(per_minute=2)
    assert limiter.take("a", now=0.0) == 0 and limiter.take("a", now=0.0) == 0
    wait = limiter.take("a", now=0.0)
    assert wait == pytest.approx(30.0)
    assert limiter.take("b", now=0.0) == 0, "callers have separate buckets"
    assert limiter.take("a", now=31.0) == 0


def test_users_commands_add_a_user_issue_keys_and_list_them(tmp_path):
    env = {"DE_DATA_DIR": str(tmp_path)}
    added = runner.invoke(app, ["users", "add", "quinn", "--role", "qa"], input="s3cret-pw\ns3cret-pw\n", env=env)
    assert added.exit_code == 0, added.output
    first_key = added.output.strip().rsplit(" ", 1)[-1]
    again = runner.invoke(app, ["users", "key", "quinn"], env=env)
    assert again.exit_code == 0 and again.output.strip().startswith("de_") and again.output.strip() != first_key
    store = UserStore(f"sqlite:///{tmp_path / 'users.sqlite'}")
    assert store.user_for_key(first_key).name == "quinn" and store.check_password("quinn", "s3cret-pw")
    listed = runner.invoke(app, ["users", "list"], env=env)
    assert "quinn" in listed.output and "qa" in listed.output


def test_users_add_with_an_unknown_role_says_which_roles_exist(tmp_path):
    result = runner.invoke(app, ["users", "add", "x", "--role", "boss", "--no-password"],
                           env={"DE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2 and "customer, staff, admin, qa" in result.output


def test_users_add_reads_the_password_from_stdin_for_scripts_without_a_prompt(tmp_path):
    env = {"DE_DATA_DIR": str(tmp_path)}
    added = runner.invoke(app, ["users", "add", "sara", "--role", "staff", "--password-stdin"],
                          input="pw-from-a-vault\n", env=env)
    assert added.exit_code == 0, added.output
    assert "password" not in added.output.lower().split("api key")[0]  # no prompt, no confirmation
    assert UserStore(f"sqlite:///{tmp_path / 'users.sqlite'}").check_password("sara", "pw-from-a-vault")
    empty = runner.invoke(app, ["users", "add", "tom", "--password-stdin"], input="\n", env=env)
    assert empty.exit_code == 2 and "empty line" in empty.output

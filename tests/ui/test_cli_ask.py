"""`digital-employee ask` goes through a Conversation: calculators, guardrails and the audit log, with
per-stage timings in --json and --session to continue a session stored in the audit log."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()


def _env(settings) -> dict[str, str]:
    return {"DE_DATA_DIR": str(settings.data_dir), "DE_MODELS_DIR": str(settings.model_cache)}


def _ask(settings, *args: str) -> dict:
    result = runner.invoke(app, ["ask", "--json", *args], env=_env(settings))
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{"):])


def test_ask_json_gives_the_reply_with_its_session_and_stage_timings(settings, demo_answerer):
    reply = _ask(settings, "存10万三年定期到期利息多少？")
    assert reply["answered_by"] == "tool" and "7,050.00元" in reply["text"]
    assert reply["session_id"] and {"guard", "tool", "total"} <= set(reply["timings"])
    assert reply["citations"][0]["section"].endswith("三、存款利率")


def test_ask_with_session_continues_the_conversation_from_the_audit_log(settings, demo_answerer):
    first = _ask(settings, "存三年定期利息多少？")
    assert "金额" in first["text"]  # the tool asks for the missing amount
    second = _ask(settings, "--session", first["session_id"], "10万")
    assert second["session_id"] == first["session_id"] and "7,050.00元" in second["text"]


def test_ask_with_an_unknown_session_says_how_to_start_a_new_one(settings, demo_answerer):
    result = runner.invoke(app, ["ask", "--session", "no-such-session", "你好"], env=_env(settings))
    assert result.exit_code == 2
    assert "no session 'no-such-session'" in result.output and "leaving out --session" in result.output

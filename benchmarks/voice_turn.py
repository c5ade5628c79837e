"""A spoken turn end to end, in a real browser: from the end of the customer's speech to the avatar's
first audio and mouth movement, stage by stage.

    python benchmarks/voice_turn.py                      # starts `digital-employee serve`; English demo questions
    python benchmarks/voice_turn.py --language zh        # the Chinese demo questions, said by Kokoro
    python benchmarks/voice_turn.py --question "What is the waiting period of the medical insurance?" --rounds 2
    python benchmarks/voice_turn.py --clip my-question.wav --url http://127.0.0.1:7860   # your own recording

Debian's Chromium (headless, Playwright) opens the customer page and switches hands-free mode on; its
microphone is a WAV file (Chromium's fake capture device): silence, the question, silence. The page's
energy VAD ends the turn, /api/transcribe hears it, the answer streams, the avatar speaks the first
checked sentence, and the page reports its stage timings (the same report every real voice turn sends;
``digital-employee voice-timings`` summarises those). The question is synthesized by our own voice
(Piper in English, Kokoro in Chinese) unless ``--clip`` is given: SYNTHETIC speech, so Whisper's share
is not a real customer's. The default questions are the demo questions, each asked once in a fresh
session: the LLM answers most (generated, checked sentence by sentence); a hand-off, a refusal and
calculators need no generation, and the two groups are summarised apart. Asking the same question again finds its whole
prompt in llama.cpp's cache (first token in ~0.1 s), so repeated rounds flatter the figures.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load_chat import free_port, start_server, wait_healthy  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")


def demo_questions_in(language: str) -> list[str]:
    from knowledge.demo import demo_questions

    cases = [json.loads(line) for line in demo_questions().read_text(encoding="utf-8").splitlines() if line.strip()]
    return [c["question"] for c in cases if c["language"] == language]


def question_clip(text: str, language: str, path: Path) -> float:
    """Our own voice for ``language`` says ``text`` into ``path``, with silence around it; seconds of speech."""
    from settings import Settings, offline_environment

    offline_environment()
    from voice import Synthesizer, decode

    return pad_clip(decode(Synthesizer(Settings()).run(text, language).wav).samples, path)  # type: ignore[arg-type]


def pad_clip(samples: np.ndarray, path: Path, lead_s: float = 1.5, tail_s: float = 8.0) -> float:
    """The fake microphone plays the file once: silence, the speech, enough silence to end the turn."""
    from voice.audio import wav_bytes

    rate = 16_000
    silence = np.zeros(int(rate * lead_s), np.float32), np.zeros(int(rate * tail_s), np.float32)
    pcm = np.concatenate([silence[0], samples.astype(np.float32), silence[1]])
    path.write_bytes(wav_bytes((np.clip(pcm, -1, 1) * 32767).astype(np.int16), rate))
    return len(samples) / rate


def one_turn(playwright, url: str, clip: Path, timeout_s: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
        "--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={clip}%noloop"])
    try:
        context = browser.new_context(permissions=["microphone"], locale="en-US")
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_selector("#avatar .de-avatar-figure")
        heard: list[str] = []
        page.on("response", lambda r: heard.append(r.json().get("text", "")) if r.url.endswith("/api/transcribe")
                and r.status == 200 else None)
        with page.expect_response(lambda r: r.url.endswith("/voice-timings"), timeout=timeout_s * 1000) as info:
            page.click("#hands-free")
        response = info.value
        if response.status != 200:
            raise RuntimeError(f"voice-timings answered {response.status}: {response.text()}")
        timeline: dict[str, float] = response.json()["timeline_ms"]
        timeline["_question"] = heard[-1] if heard else "?"  # type: ignore[assignment]
        return timeline
    finally:
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1, help="Ask every question this many times.")
    parser.add_argument("--language", choices=["en", "zh"], default="en",
                        help="Ask the demo questions of this language, said by our own voice (Piper / Kokoro).")
    parser.add_argument("--question", action="append", help="Text our voice says instead; repeat for several "
                        "(default: the demo questions of --language)")
    parser.add_argument("--clip", type=Path, help="Your own recording instead (any format the product decodes).")
    parser.add_argument("--url", help="A running server (default: start one on a free port).")
    parser.add_argument("--timeout", type=float, default=300, help="Seconds a turn may take.")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit("needs Debian's chromium: apt-get install chromium (scripts/ci-system-packages.sh)")
    from playwright.sync_api import sync_playwright

    from voice.turn_timings import STAGES, by_kind, summarize

    work = Path(tempfile.mkdtemp(prefix="voice-turn-"))
    clips: dict[str, Path] = {}
    if args.clip:
        from voice import decode

        clips[args.clip.name] = work / "recording.wav"
        speech_s = pad_clip(decode(args.clip.read_bytes()).samples, clips[args.clip.name])
        print(f"{args.clip.name}: {speech_s:.1f} s of speech")
    for n, question in enumerate([] if args.clip else args.question or demo_questions_in(args.language)):
        clips[question] = work / f"question-{n}.wav"
        print(f"{question!r}: {question_clip(question, args.language, clips[question]):.1f} s of speech")

    server, url = None, args.url
    if url is None:
        port = free_port()
        server = start_server(port, None)
        url = f"http://127.0.0.1:{port}"
        print(f"starting a server on {url}…", file=sys.stderr)
    turns: list[dict[str, Any]] = []
    try:
        wait_healthy(url, 600)
        with sync_playwright() as p:
            for n in range(args.rounds):
                for question, clip in clips.items():
                    started = time.perf_counter()
                    timeline = one_turn(p, url, clip, args.timeout)
                    heard = timeline.pop("_question")
                    turns.append({"question": question, "heard": heard, "timeline_ms": timeline})
                    print(f"round {n + 1}: heard {heard!r}; " + ", ".join(f"{k} {v:.0f}" for k, v in timeline.items())
                          + f" ms ({time.perf_counter() - started:.0f} s in all)")
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    summaries = {}
    for kind, found in by_kind(t["timeline_ms"] for t in turns).items():
        summaries[kind] = summary = summarize(found)
        print(f"\n{kind}, {len(found)} turns: ms after the end of speech (median, p95)")
        for stage in STAGES:
            if stage in summary:
                print(f"  {stage:16}{summary[stage]['p50']:>8.0f}{summary[stage]['p95']:>8.0f}")
    if args.json:
        args.json.write_text(json.dumps({"turns": turns, "summary_ms": summaries}, indent=2, ensure_ascii=False))

if __name__ == "__main__":
    main()

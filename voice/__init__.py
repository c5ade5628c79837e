"""Speech in (Whisper), speech out (TTS) and the mouth curve that animates the avatar.

Imports nothing of agent/ui/evals. Entry points: ``Transcriber.run(audio) -> Transcript``,
``Synthesizer.run(text, language) -> Speech``, ``normalize`` (text as it should be spoken) and
``EndOfTurn`` (when the customer stopped speaking). Models come from ``modelpacks`` and PyPI packages.
"""

from voice.audio import Audio, AudioError, AudioLimits, decode
from voice.speech_text import SentenceSplitter, detect_language, normalize, split_sentences
from voice.synthesize import NothingToSay, Speech, Synthesizer
from voice.transcribe import EndOfTurn, NoSpeechError, Segment, Transcriber, Transcript
from voice.tts_engines import EngineUnavailable, SpeechEngine

__all__ = [
    "Audio",
    "AudioError",
    "AudioLimits",
    "EndOfTurn",
    "EngineUnavailable",
    "NoSpeechError",
    "NothingToSay",
    "Segment",
    "SentenceSplitter",
    "Speech",
    "SpeechEngine",
    "Synthesizer",
    "Transcriber",
    "Transcript",
    "decode",
    "detect_language",
    "normalize",
    "split_sentences",
]

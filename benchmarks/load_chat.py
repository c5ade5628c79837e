"""Load on the chat API: N concurrent customer sessions, each asking a few demo questions over the SSE
endpoint (``POST /api/ask/stream``); time to first token and to the final reply, errors, server memory.

    python benchmarks/load_chat.py                         # starts `digital-employee serve`, 20 sessions
    python benchmarks/load_chat.py --sessions 4 --questions 2
    python benchmarks/load_chat.py --url http://127.0.0.1:7860 --pid 12345   # a running server

Each session is a guest with its own cookie (its own rate-limit bucket). The embedded llama.cpp server
answers one request at a time, so generated answers queue behind each other: the figures measure that
queue, not a parallel-serving capacity. FAQ answers and refusals need no generation.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.demo import demo_questions  # noqa: E402


@dataclass
class Turn:
    question: str
    first_token_s: float | None = None
    total_s: float | None = None
    answered_by: str | None = None
    error: str | None = None


@dataclass
class SessionResult:
    turns: list[Turn] = field(default_factory=list)


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def ask(client: httpx.Client, question: str, session_id: str | None) -> tuple[Turn, str | None]:
    turn = Turn(question)
    started = time.perf_counter()
    try:
        with client.stream("POST", "/api/ask/stream", json={"question": question, "session_id": session_id}) as r:
            if r.status_code != 200:
                r.read()
                turn.error = f"HTTP {r.status_code}: {r.text[:200]}"
                return turn, session_id
            event = ""
            for line in r.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:])
                    now = time.perf_counter() - started
                    if event == "session":
                        session_id = data["session_id"]
                    elif event in ("delta", "final") and turn.first_token_s is None:
                        turn.first_token_s = now
                    if event == "final":
                        turn.total_s, turn.answered_by = now, data.get("answered_by")
                    elif event == "error":
                        turn.error = data.get("detail", "error event")
    except httpx.HTTPError as err:
        turn.error = f"{type(err).__name__}: {err}"
    if turn.total_s is None and turn.error is None:
        turn.error = "the stream ended without a final event"
    return turn, session_id


def run_session(url: str, questions: list[str], result: SessionResult, timeout: float) -> None:
    with httpx.Client(base_url=url, timeout=timeout) as client:
        session_id = None
        for question in questions:
            turn, session_id = ask(client, question, session_id)
            result.turns.append(turn)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, data_dir: Path | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DE_RATE_LIMIT_PER_MINUTE": "100000"}
    if data_dir is not None:
        env["DE_DATA_DIR"] = str(data_dir)
    return subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], cwd=ROOT, env=env)


def wait_healthy(url: str, seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"the server at {url} did not become healthy in {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (default: start one on a free port)")
    parser.add_argument("--pid", type=int, help="the running server's process id, for its memory figures")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent chat sessions (default 20)")
    parser.add_argument("--questions", type=int, default=3, help="questions per session (default 3)")
    parser.add_argument("--data-dir", type=Path, help="data folder of the started server (default ./data)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one reply may take")
    args = parser.parse_args()

    cases = [c for c in (json.loads(line) for line in demo_questions().read_text("utf-8").splitlines() if line)
             if not c.get("must_refuse")]
    server = None
    url, pid = args.url, args.pid
    if url is None:
        port = free_port()
        server = start_server(port, args.data_dir)
        url, pid = f"http://127.0.0.1:{port}", server.pid
        print(f"starting a server on {url} (pid {pid})…", file=sys.stderr)
    try:
        wait_healthy(url, 600)
        rss_before = rss_mb(pid)
        results = [SessionResult() for _ in range(args.sessions)]
        threads = [threading.Thread(target=run_session, args=(
            url, [cases[(i + k) % len(cases)]["question"] for k in range(args.questions)], results[i], args.timeout))
            for i in range(args.sessions)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        rss_after = rss_mb(pid)
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    turns = [t for r in results for t in r.turns]
    ok = [t for t in turns if t.error is None]
    errors = [t for t in turns if t.error is not None]
    by_kind: dict[str, int] = {}
    for t in ok:
        by_kind[t.answered_by or "?"] = by_kind.get(t.answered_by or "?", 0) + 1
    ttft = [t.first_token_s for t in ok if t.first_token_s is not None]
    total = [t.total_s for t in ok if t.total_s is not None]
    print(f"{args.sessions} sessions x {args.questions} questions = {len(turns)} requests in {wall:.1f} s "
          f"({len(ok) / wall:.2f} replies/s); errors: {len(errors)}")
    for t in errors[:10]:
        print(f"  error: {t.question}: {t.error}")
    print(f"answered by: {', '.join(f'{k} {v}' for k, v in sorted(by_kind.items()))}")
    print(f"time to first token: p50 {percentile(ttft, 0.5):.2f} s, p95 {percentile(ttft, 0.95):.2f} s, "
          f"mean {statistics.fmean(ttft) if ttft else float('nan'):.2f} s")
    print(f"time to final reply: p50 {percentile(total, 0.5):.2f} s, p95 {percentile(total, 0.95):.2f} s, "
          f"max {max(total) if total else float('nan'):.2f} s")
    fmt = lambda v: "n/a (pass --pid)" if v is None else f"{v:.0f} MB"  # noqa: E731
    print(f"server RSS: before {fmt(rss_before)}, after {fmt(rss_after)}")
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

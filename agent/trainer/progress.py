"""Trainee progress for a training manager: scores per trainee, weak topics, history, CSV and HTML exports."""

from __future__ import annotations

import csv
import html
import io
from collections import defaultdict
from dataclasses import dataclass

from agent.trainer.store import Attempt

# A topic whose mean score is below this (over at least MIN_ATTEMPTS attempts) is a weak topic.
WEAK_BELOW = 0.6
MIN_ATTEMPTS = 1
CSV_COLUMNS = ("trainee", "time_utc", "kind", "topic", "item", "score")


@dataclass(frozen=True)
class TopicScore:
    topic: str
    attempts: int
    mean: float


@dataclass(frozen=True)
class TraineeProgress:
    trainee: str
    attempts: int
    mean: float
    topics: tuple[TopicScore, ...]  # worst first
    weak_topics: tuple[str, ...]
    last_activity: str


def summarize(attempts: list[Attempt]) -> list[TraineeProgress]:
    """Per trainee (alphabetical): attempts, mean score, per-topic means worst first, weak topics."""
    by_trainee: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        by_trainee[a.trainee].append(a)
    result = []
    for trainee in sorted(by_trainee):
        own = by_trainee[trainee]
        by_topic: dict[str, list[float]] = defaultdict(list)
        for a in own:
            by_topic[a.topic].append(a.score)
        topics = sorted((TopicScore(t, len(s), sum(s) / len(s)) for t, s in by_topic.items()),
                        key=lambda t: (t.mean, t.topic))
        weak = tuple(t.topic for t in topics if t.mean < WEAK_BELOW and t.attempts >= MIN_ATTEMPTS)
        result.append(TraineeProgress(trainee, len(own), sum(a.score for a in own) / len(own), tuple(topics), weak,
                                      max(a.created_at for a in own).strftime("%Y-%m-%d %H:%M")))
    return result


def attempts_csv(attempts: list[Attempt]) -> str:
    """Every attempt as a CSV a spreadsheet opens (UTF-8 with BOM so Excel reads the Chinese right)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for a in attempts:
        writer.writerow([a.trainee, a.created_at.strftime("%Y-%m-%d %H:%M:%S"), a.kind.value, a.topic, a.item,
                         f"{a.score:.3f}"])
    return out.getvalue()


def progress_html(attempts: list[Attempt], title: str = "Training progress") -> str:
    """A self-contained HTML report (no scripts, no external assets): summary, weak topics, history."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(p.trainee)}</td><td>{p.attempts}</td><td>{p.mean:.0%}</td>"
        f"<td>{e(', '.join(p.weak_topics)) or '—'}</td><td>{e(p.last_activity)}</td></tr>"
        for p in summarize(attempts)
    )
    history = "".join(
        f"<tr><td>{e(a.trainee)}</td><td>{a.created_at:%Y-%m-%d %H:%M}</td><td>{a.kind.value}</td>"
        f"<td>{e(a.topic)}</td><td>{e(a.item[:80])}</td><td>{a.score:.0%}</td></tr>"
        for a in reversed(attempts)
    )
    style = ("body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:2em}"
             "table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px}"
             "th{background:#f3f3f3;text-align:left}")
    return (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{e(title)}</title>"
            f"<style>{style}</style></head><body><h1>{e(title)}</h1>"
            f"<h2>Trainees</h2><table><tr><th>trainee</th><th>attempts</th><th>mean score</th>"
            f"<th>weak topics (mean &lt; {WEAK_BELOW:.0%})</th><th>last activity (UTC)</th></tr>{rows}</table>"
            f"<h2>History</h2><table><tr><th>trainee</th><th>time (UTC)</th><th>kind</th><th>topic</th>"
            f"<th>item</th><th>score</th></tr>{history}</table></body></html>")

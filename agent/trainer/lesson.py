"""Lessons: key points, what to tell customers, what never to say, common mistakes — each citing a clause.

The LLM drafts four points from each of a few focus clauses of the topic's documents (one short call
per clause: a small model strays less); every point then passes
the same lexical support check as customer answers (agent.answering.grounding) against the clauses, and a point no
clause supports is dropped and counted. Drafts are cached on disk, keyed by the documents' content
hashes, the prompt version and the model, so an unchanged knowledge base never pays for a lesson twice.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.answering.grounding import MIN_SUPPORT, check_support, split_sentences, support
from agent.llm import ChatLLM
from agent.prompting import load_prompt, render
from agent.trainer.clauses import Clause, contradicts
from agent.trainer.materials import Material, focus

_LINE = re.compile(r"^[\s\-*•\d.、)）]*【(?P<category>[^】]+)】\s*(?P<text>.+?)\s*$")
_MARK = re.compile(r"\[(\d+)\]")
_TITLE = re.compile(r"《[^》]*》")
_MIN_POINT_CHARS = 6  # what is left of a point after removing the document's title and section
# A heading's number: "## ", "第五条", "三、", "（二）", "5.3 ", or a bold-only line.
_HEADING = re.compile(r"^\s*(#+\s*|\*\*|第[一二三四五六七八九十百零〇\d]+[编章节条款项]\s*|[一二三四五六七八九十]+、"
                      r"|[（(][一二三四五六七八九十\d]+[)）]\s*|\d+(\.\d+)*[、.．]?\s)")
_SENTENCE_MARKS = re.compile(r"[，,。；;：:！!？?]")
_HEADING_CHARS = 24  # a numbered line this short with no sentence punctuation is a heading
_PAIRS = ("（）", "()", "《》", "“”", "「」", "【】", "[]")
_DANGLING_END = "：:、，,；;（(《“「—-的及或与"  # a sentence cut off before its end
_DANGLING_START = "，,。、；;：:）)》”」"
_RESTATES = 0.9  # a "never say" this close to a clause sentence (same polarity) restates the rule


_TITLES = {"zh": {"key_point": "要点", "tell_customer": "告知客户", "never_say": "禁止说",
                  "common_mistake": "常见错误"},
           "en": {"key_point": "Key points", "tell_customer": "What to tell customers", "never_say": "Never say",
                  "common_mistake": "Common mistakes"}}


@dataclass(frozen=True)
class LessonPoint:
    category: str  # key_point | tell_customer | never_say | common_mistake
    text: str  # without citation markers
    clauses: tuple[Clause, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "text": self.text, "clauses": [c.to_dict() for c in self.clauses]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LessonPoint:
        return cls(data["category"], data["text"], tuple(Clause.from_dict(c) for c in data["clauses"]))


@dataclass(frozen=True)
class Lesson:
    topic: str
    cache_key: str
    points: tuple[LessonPoint, ...]
    dropped: tuple[str, ...]  # drafted points no clause supported
    sources: tuple[Clause, ...]
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "cache_key": self.cache_key, "points": [p.to_dict() for p in self.points],
                "dropped": list(self.dropped), "sources": [c.to_dict() for c in self.sources],
                "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lesson:
        return cls(data["topic"], data["cache_key"], tuple(LessonPoint.from_dict(p) for p in data["points"]),
                   tuple(data["dropped"]), tuple(Clause.from_dict(c) for c in data["sources"]), data["seconds"])

    def markdown(self, language: str | None = None) -> str:
        """The lesson as Markdown: points under headings, sources cited. Headings in ``language`` ("zh",
        "en": the trainer page's), or in both (the CLI)."""
        titles = {k: _TITLES[language][k] if language in _TITLES else f"{_TITLES['zh'][k]} {_TITLES['en'][k]}"
                  for k in _TITLES["zh"]}
        titles_of_sources = "、".join(dict.fromkeys(f"《{c.document_title}》" for c in self.sources))
        out = [f"# {self.topic}：{titles_of_sources}"]
        for category, title in titles.items():
            points = [p for p in self.points if p.category == category]
            if points:
                out.append(f"\n## {title}")
                out += [f"- {p.text} — " + "；".join(c.label() for c in p.clauses) for p in points]
        return "\n".join(out)


def parse_points(text: str, categories: dict[str, str]) -> list[tuple[str, str]]:
    """(category, text with its [n] markers) for each well-formed line of the model's draft."""
    points = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m and m.group("category").strip() in categories:
            points.append((categories[m.group("category").strip()], m.group("text")))
    return points


def is_fragment(text: str) -> bool:
    """A heading or a broken sentence (cut off, dangling punctuation, unbalanced brackets): a small model
    drafts these as points, and a clause's own words support them, yet they teach nothing."""
    line = text.strip().strip("*").strip()
    if not line or line[-1] in _DANGLING_END or line[0] in _DANGLING_START:
        return True
    if any(line.count(pair[0]) != line.count(pair[1]) for pair in _PAIRS):
        return True
    if _HEADING.match(text):
        rest = _HEADING.sub("", text, count=1).strip(" *")
        return len(rest) <= _HEADING_CHARS and not _SENTENCE_MARKS.search(rest.rstrip("。"))
    return False


def check_point(category: str, text: str, clause: Clause, meta_prefixes: list[str]) -> LessonPoint | None:
    """The point citing ``clause`` when the clause supports it, else None.

    Warning words ("不要说", "误以为") are set aside first: the claim after them is what must match the
    clause. A "never say" or "common mistake" whose claim is what the clause itself says (a small model
    sometimes lists the rule as the error) is dropped, as is a point that only names the document, and a
    heading or broken sentence (:func:`is_fragment`).
    """
    claim = _MARK.sub("", text).strip()
    body = claim
    for prefix in sorted(meta_prefixes, key=len, reverse=True):
        if body.startswith(prefix):
            body = body[len(prefix):]
            break
    bare = _TITLE.sub("", body).replace(clause.document_title, "")
    for part in clause.section.split(" > "):
        bare = bare.replace(part, "")
    bare = bare.strip(" ，。：:")
    if len(bare) < _MIN_POINT_CHARS or is_fragment(body):
        return None
    if check_support(body, [clause.text]).dropped or support(body, clause.text) < MIN_SUPPORT:
        return None
    if category in ("never_say", "common_mistake"):
        closest = max(split_sentences(clause.text) or [clause.text], key=lambda s: support(body, s))
        for text_of_clause in (closest, clause.text):
            if support(body, text_of_clause) >= _RESTATES and not contradicts(body, text_of_clause):
                return None
    return LessonPoint(category, claim, (clause,))


class LessonBuilder:
    def __init__(self, llm: ChatLLM, cache_dir: Path, model_name: str) -> None:
        self.llm = llm
        self.cache_dir = cache_dir
        self.model_name = model_name

    def build(self, material: Material, refresh: bool = False, clauses: int | None = None) -> Lesson:
        """The lesson from the cache, else drafted from ``clauses`` focus clauses (the prompt's default)."""
        prompt: dict[str, Any] = load_prompt("trainer_lesson", "zh")  # type: ignore[assignment]
        limit = clauses or int(prompt["clauses"])
        key = material.content_key("lesson", str(prompt["version"]), self.model_name, str(limit))
        cached = self.cache_dir / f"{key}.json"
        if cached.is_file() and not refresh:
            return Lesson.from_dict(json.loads(cached.read_text(encoding="utf-8")))
        started = time.perf_counter()
        chosen = focus(material.clauses, list(prompt["focus_terms"]), limit)
        points: list[LessonPoint] = []
        dropped: list[str] = []
        for clause in chosen:  # one short call per clause: a 1.5B model stays closer to a single clause
            user = render(prompt["user"], title=clause.document_title, section=clause.section,
                          text=clause.text[: int(prompt["clip"])])
            draft = "".join(self.llm.stream(prompt["system"], user))
            for category, text in parse_points(draft, dict(prompt["categories"])):
                point = check_point(category, text, clause, list(prompt["meta_prefixes"]))
                if point is not None and any(p.text == point.text for p in points):
                    continue  # the same sentence drafted under two headings
                if point is None:
                    dropped.append(_MARK.sub("", text).strip())
                else:
                    points.append(point)
        lesson = Lesson(material.topic, key, tuple(points), tuple(dropped), tuple(chosen),
                        round(time.perf_counter() - started, 1))
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(lesson.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(cached)
        return lesson

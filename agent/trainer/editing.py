"""A trainer's edit of a lesson: new point texts replace the drafted ones; their citations are kept
when the category and clause still match, and a point citing nothing is refused."""

from __future__ import annotations

import json
from typing import Any

CATEGORIES = ("key_point", "tell_customer", "never_say", "common_mistake")


class LessonEditError(ValueError):
    pass


def apply_points_edit(content: dict[str, Any], points_json: str) -> dict[str, Any]:
    """``content`` with its points replaced by ``points_json``: a list of {category, text[, source]}, where
    ``source`` is the 1-based number of a source clause of the lesson (default: the clause the point at
    the same position cited)."""
    try:
        edited = json.loads(points_json)
    except json.JSONDecodeError as err:
        raise LessonEditError(f"the points file is not JSON ({err.msg}, line {err.lineno}); "
                              "print the current points with `train edit ID` and edit that") from None
    if not isinstance(edited, list):
        raise LessonEditError("the points file must hold a JSON list of {\"category\", \"text\"} objects")
    sources = content.get("sources", [])
    old = content.get("points", [])
    points = []
    for i, point in enumerate(edited, 1):
        if not isinstance(point, dict) or not str(point.get("text", "")).strip():
            raise LessonEditError(f"point {i}: needs a non-empty \"text\"")
        category = point.get("category")
        if category not in CATEGORIES:
            raise LessonEditError(f"point {i}: category {category!r} is not one of {', '.join(CATEGORIES)}")
        if "source" in point:
            n = point["source"]
            if not isinstance(n, int) or not 1 <= n <= len(sources):
                raise LessonEditError(f"point {i}: source must be a clause number from 1 to {len(sources)}")
            clauses = [sources[n - 1]]
        elif i <= len(old):
            clauses = old[i - 1]["clauses"]
        else:
            raise LessonEditError(f"point {i} is new: say which clause it cites with \"source\" "
                                  f"(1 to {len(sources)})")
        points.append({"category": category, "text": str(point["text"]).strip(), "clauses": clauses})
    return {**content, "points": points}

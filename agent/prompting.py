"""Prompts are data: YAML files beside this module, one per task and language, rendered with Jinja."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined

_jinja = Environment(undefined=StrictUndefined, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)


@cache
def load_prompt(task: str, language: str) -> dict[str, Any]:
    name = f"{task}.{language}.yaml"
    try:
        text = resources.files("agent.prompts").joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"no prompt {name!r}; languages available are zh and en") from None
    return yaml.safe_load(text)


@cache
def load_policy(name: str) -> dict[str, Any]:
    return yaml.safe_load(resources.files("agent.prompts").joinpath(f"{name}.yaml").read_text(encoding="utf-8"))


def render(template: str, **values: Any) -> str:
    return _jinja.from_string(template).render(**values).strip()

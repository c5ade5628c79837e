"""The trainer page is a real Gradio app that a FastAPI server serves (the lead mounts it at /trainer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import httpx
import pytest
from fastapi import FastAPI

from agent.trainer.trainer import Trainer
from settings import Settings
from tests.serving import serving
from ui.pages.trainer import build_trainer_page


@pytest.fixture
def trainer_server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    page = build_trainer_page(settings, Trainer(settings))
    assert isinstance(page, gr.Blocks)
    app = gr.mount_gradio_app(FastAPI(), page, path="/trainer", ssr_mode=False)
    with serving(app) as url:
        yield url + "/trainer"


def test_the_page_is_served_with_its_four_tabs_and_the_personas(trainer_server: str) -> None:
    page = httpx.get(trainer_server + "/", timeout=30)
    assert page.status_code == 200
    config = httpx.get(trainer_server + "/config", timeout=30).json()
    labels = {c.get("props", {}).get("label") for c in config["components"]}
    assert {"Lessons", "Quiz", "Role-play", "Progress"} <= labels
    persona_choices = next(c["props"]["choices"] for c in config["components"]
                           if c.get("props", {}).get("label") == "Customer")
    assert ["犹豫期内想退保的客户", "cooling-off-cancel"] in persona_choices
    avatar = next(c["props"]["value"] for c in config["components"] if c.get("props", {}).get("elem_id") == "avatar")
    assert 'data-name="海老师 Coach Hai"' in avatar  # one trainer persona presents the lessons


def test_a_customer_line_said_twice_is_a_new_value_each_time_so_the_avatar_says_it_again() -> None:
    """The 1.5B model sometimes repeats the customer's opening word for word; an unchanged hidden value
    would not fire the change that makes the avatar speak."""
    import json

    from ui.pages.trainer import _line

    first, again = _line("我就是要退。"), _line("我就是要退。")
    assert first != again and json.loads(first)["text"] == json.loads(again)["text"] == "我就是要退。"

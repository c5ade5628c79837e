"""The web server on localhost: the chat page and the JSON API answer a demo question with a citation."""

from __future__ import annotations

import json
import urllib.request

import pytest


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def _post(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_the_chat_page_is_served_on_localhost(server_url):
    page = _get(server_url + "/")
    assert "<html" in page.lower() and "gradio" in page.lower()


def test_the_page_loads_no_web_fonts_or_scripts_from_the_internet(server_url):
    page = _get(server_url + "/")
    assert "fonts.googleapis" not in page and "cdn.jsdelivr" not in page


def test_health_names_the_llm_backend(server_url):
    assert "embedded llama.cpp" in json.loads(_get(server_url + "/api/health"))["llm"]


def test_an_empty_question_is_rejected_with_a_clear_error(server_url):
    status, body = _post(server_url + "/api/ask", {"question": ""})
    assert status == 422 and "question" in json.dumps(body)


@pytest.mark.slow
def test_the_api_answers_a_demo_question_with_a_citation(server_url):
    status, reply = _post(server_url + "/api/ask", {"question": "犹豫期内退保能全额退还保费吗？"})
    assert status == 200
    assert not reply["refused"], reply
    assert reply["citations"] and "犹豫期" in json.dumps(reply["citations"], ensure_ascii=False)

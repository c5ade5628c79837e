"""The OpenAI-compatible endpoint, driven by the official `openai` Python client."""

from __future__ import annotations

import openai
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture()
def openai_client(server_url, accounts) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server_url}/v1", api_key=accounts["carol"].key, timeout=600, max_retries=0)


def test_a_completion_answers_the_last_user_message_with_citations(openai_client):
    completion = openai_client.chat.completions.create(
        model="digital-employee",
        messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": "你好"},
                  {"role": "user", "content": "犹豫期内退保能全额退还保费吗？"}])
    text = completion.choices[0].message.content
    extra = completion.model_extra
    assert text and "犹豫期" in text
    assert extra["citations"] and extra["citations"][0]["document_title"]
    assert extra["digital_employee"]["refused"] is False and extra["digital_employee"]["intent"] == "question"


def test_a_streamed_completion_arrives_in_pieces_and_ends_with_citations(openai_client):
    stream = openai_client.chat.completions.create(
        model="digital-employee", stream=True,
        messages=[{"role": "user", "content": "犹豫期内退保能全额退还保费吗？"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) >= 3 and "犹豫期" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"]


def test_the_client_sees_401_for_a_wrong_key(server_url):
    bad = openai.OpenAI(base_url=f"{server_url}/v1", api_key="de_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="digital-employee", messages=[{"role": "user", "content": "hi"}])


def test_a_request_without_a_user_message_is_422(openai_client):
    with pytest.raises(openai.UnprocessableEntityError):
        openai_client.chat.completions.create(model="digital-employee",
                                              messages=[{"role": "system", "content": "be nice"}])


def test_the_client_lists_the_one_model(openai_client):
    assert [m.id for m in openai_client.models.list()] == ["digital-employee"]


@pytest.mark.parametrize(("field", "value"), [("n", 2), ("stop", ["。"]), ("temperature", 3.5), ("max_tokens", 0),
                                              ("tools", [{"type": "function", "function": {"name": "f"}}])])
def test_a_field_the_employee_cannot_honour_is_a_400_that_names_it(openai_client, field, value):
    with pytest.raises(openai.BadRequestError) as raised:
        openai_client.chat.completions.create(model="digital-employee", messages=[{"role": "user", "content": "你好"}],
                                              **{field: value})
    assert raised.value.body["param"] == field and field in raised.value.body["message"]


def test_sampling_fields_in_range_are_accepted_and_the_employee_still_answers(openai_client):
    completion = openai_client.chat.completions.create(
        model="digital-employee", messages=[{"role": "user", "content": "你好"}],
        n=1, temperature=0.7, top_p=0.9, max_tokens=200)
    assert completion.choices[0].message.content and len(completion.choices) == 1

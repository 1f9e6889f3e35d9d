"""Integration: a REAL `python -m llama_cpp.server` driven through make_chat_model(openai)."""

from __future__ import annotations

from typing import Literal

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from chains.models import ParleyChatOpenAI, json_mode, make_chat_model, model_label
from parley.core.errors import ModelError
from parley.core.settings import Settings

pytestmark = [pytest.mark.llm, pytest.mark.integration]


class Stance(BaseModel):
    stance: Literal["supports", "opposes", "neutral"]
    sentence: int


@pytest.fixture
def model(llama_server):
    settings = Settings(
        llm_backend="openai",
        openai_base_url=llama_server,
        openai_model="local",
        max_tokens=16,
        llm_timeout_s=120,
    )
    assert model_label(settings) == f"local @ {llama_server}"
    chat = make_chat_model(settings)
    assert isinstance(chat, ParleyChatOpenAI)
    return chat


def test_invoke_respects_max_tokens(model):
    # llama.cpp's server ignores max_completion_tokens: without extra_body it writes thousands
    msg = model.invoke([HumanMessage("Count from 1 to 100, separated by commas.")])
    assert msg.content.strip()
    assert 0 < msg.usage_metadata["output_tokens"] <= 16
    assert msg.response_metadata["finish_reason"] == "length"


def test_answers_a_tiny_prompt(model):
    msg = model.invoke(
        [SystemMessage("Answer in one word."), HumanMessage("What is the capital city of France?")]
    )
    assert "paris" in msg.content.lower()


def test_streams_several_chunks(model):
    texts = [c.content for c in model.stream([HumanMessage("Name three colours.")]) if c.content]
    assert len(texts) >= 3
    assert "".join(texts).strip()


def test_json_mode_returns_valid_object(model):
    prompt = [
        SystemMessage("You classify the stance of the speaker towards the tax."),
        HumanMessage(
            "[1] The minister spoke on Tuesday.\n"
            "[2] The minister said the new tax is a disaster and must be scrapped.\n"
            "Which sentence shows the minister's stance on the tax, and what is it?"
        ),
    ]
    picked = json_mode(model, Stance, max_tokens=40).invoke(prompt)
    assert isinstance(picked, Stance)
    assert picked.stance in {"supports", "opposes", "neutral"}


def test_schema_grammar_through_the_server(llama_server):
    settings = Settings(
        llm_backend="openai",
        openai_base_url=llama_server,
        openai_model="local",
        openai_schema_grammar=True,
    )
    # off-topic prompt, no schema in the prompt: only the server-side grammar can shape this
    picked = json_mode(make_chat_model(settings), Stance, instruct=False, max_tokens=40).invoke(
        "Say hello."
    )
    assert isinstance(picked, Stance)


def test_json_schema_response_format_500_is_a_model_error(model, llama_server):
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "s", "schema": Stance.model_json_schema()},
    }
    with pytest.raises(ModelError, match="HTTP 500") as err:
        model.bind(response_format=fmt).invoke("hi")
    assert llama_server in str(err.value)

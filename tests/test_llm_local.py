"""Integration: the real embedded Qwen 0.5B through ChatLlamaCpp (slow: CPU, small max_tokens)."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from llm_helpers import local_settings, require_llama_cpp
from pydantic import BaseModel

from chains.llamacpp import ChatLlamaCpp
from chains.models import json_mode, make_chat_model
from parley.core.errors import ModelError
from parley.core.settings import Settings

pytestmark = [pytest.mark.llm, pytest.mark.integration]

QUESTION = [
    SystemMessage("You answer in as few words as possible."),
    HumanMessage("What is the capital city of France?"),
]


class Stance(BaseModel):
    stance: Literal["supports", "opposes", "neutral"]
    sentence: int


@pytest.fixture(scope="module")
def model(local_gguf):
    require_llama_cpp()
    return make_chat_model(local_settings(local_gguf, max_tokens=24))


def test_factory_reuses_the_shared_joined_model(local_gguf):
    # no explicit path: the packaged model is found in the shared cache, not re-joined per test
    chat = make_chat_model(Settings(llm_backend="local"))
    assert isinstance(chat, ChatLlamaCpp)
    assert chat.model_path == str(local_gguf)


def test_answers_a_tiny_prompt_with_usage(model):
    msg = model.invoke(QUESTION)
    assert "paris" in msg.content.lower()
    usage = msg.usage_metadata
    assert usage["input_tokens"] > 5 and 0 < usage["output_tokens"] <= 24
    assert msg.response_metadata["finish_reason"] in {"stop", "length"}


def test_max_tokens_and_stop_are_honoured(model):
    capped = model.invoke([HumanMessage("Count from 1 to 50, separated by spaces.")], max_tokens=6)
    assert capped.usage_metadata["output_tokens"] <= 6
    assert capped.response_metadata["finish_reason"] == "length"
    stopped = model.invoke(
        [HumanMessage("List three fruits, one per line, no other text.")], stop=["\n"]
    )
    assert "\n" not in stopped.content and stopped.content.strip()


def test_streams_several_chunks(model):
    chunks = list(model.stream([HumanMessage("Name three colours of the rainbow.")]))
    texts = [c.content for c in chunks if c.content]
    assert len(texts) >= 3
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert total.content == "".join(texts)
    assert 0 < total.usage_metadata["output_tokens"] <= 24


def test_same_prompt_same_answer_whatever_came_before(model):
    # with llama.cpp's prefix reuse, this exact sequence changed the second answer
    system = SystemMessage("You are a concise assistant.")
    essay = [system, HumanMessage("Write a short paragraph about the history of the bicycle.")]
    first = model.invoke(essay).content
    model.invoke([system, HumanMessage("Why is the sea salty?")], max_tokens=8)
    assert model.invoke(essay).content == first


def test_grammar_forces_schema_shaped_json(model):
    schema = Stance.model_json_schema()
    raw = model.bind(response_format={"type": "json_object", "schema": schema}).invoke(
        [HumanMessage("Say hello.")], max_tokens=40
    )
    data = json.loads(raw.content)  # even an off-topic prompt must come back as the schema
    assert set(data) == {"stance", "sentence"}
    assert data["stance"] in {"supports", "opposes", "neutral"}


def test_json_mode_picks_a_label_from_the_enum(model):
    prompt = [
        SystemMessage("You classify the stance of the speaker towards the tax."),
        HumanMessage(
            "Sentences:\n[1] The minister spoke on Tuesday.\n"
            "[2] The minister said the new tax is a disaster and must be scrapped.\n"
            "Which sentence shows the minister's stance on the tax, and what is it?"
        ),
    ]
    picked = json_mode(model, Stance, max_tokens=40).invoke(prompt)
    assert isinstance(picked, Stance)
    assert picked.stance in {"supports", "opposes", "neutral"}


def test_prompt_longer_than_context_is_a_model_error(local_gguf):
    small = make_chat_model(local_settings(local_gguf, n_ctx=512))
    with pytest.raises(ModelError, match="PARLEY_N_CTX"):
        small.invoke([HumanMessage("word " * 800)])

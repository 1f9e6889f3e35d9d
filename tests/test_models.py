"""Unit tests for the chat-model seam: factory, JSON mode, error translation."""

from __future__ import annotations

import logging
from typing import Literal

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from llm_helpers import http_stub
from proc_helpers import free_port
from pydantic import BaseModel

from chains.llamacpp import ChatLlamaCpp
from chains.models import (
    ParleyChatOpenAI,
    json_mode,
    make_chat_model,
    model_label,
    parse_json,
    public_url,
)
from parley.core.errors import ModelError
from parley.core.settings import Settings

KEY = "sk-parley-TOPSECRET-0123456789"


class Pick(BaseModel):
    label: Literal["supports", "opposes", "neutral"]
    sentence: int


def openai_settings(url: str, **kw: object) -> Settings:
    values: dict[str, object] = {
        "llm_backend": "openai",
        "openai_base_url": url,
        "openai_api_key": KEY,
        "openai_model": "local",
        "llm_timeout_s": 1.0,
        "llm_max_retries": 0,
    }
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- factory


def test_fake_backend_invokes_and_streams():
    model = make_chat_model(Settings(llm_backend="fake"), fake_responses=["hello there"])
    assert model.invoke("hi").content == "hello there"
    assert "".join(str(c.content) for c in model.stream("hi")) == "hello there"


def test_openai_backend_builds_chat_openai_with_settings():
    model = make_chat_model(openai_settings("http://127.0.0.1:9/v1", max_tokens=77))
    assert isinstance(model, ParleyChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.request_timeout == 1.0 and model.max_retries == 0
    assert model.max_tokens == 77


def test_openai_without_key_or_url_is_a_model_error():
    with pytest.raises(ModelError, match="PARLEY_OPENAI_API_KEY"):
        make_chat_model(Settings(llm_backend="openai"))


def test_openai_local_server_gets_a_dummy_key():
    model = make_chat_model(Settings(llm_backend="openai", openai_base_url="http://127.0.0.1:9/v1"))
    assert model.openai_api_key.get_secret_value() == "not-needed"


def test_max_tokens_also_sent_as_extra_body_for_custom_servers():
    model = make_chat_model(openai_settings("http://127.0.0.1:9/v1", max_tokens=40))
    payload = model._get_request_payload([HumanMessage("hi")])
    assert payload["max_completion_tokens"] == 40
    assert payload["extra_body"] == {"max_tokens": 40}
    # a per-call cap (bind/invoke kwargs) wins in both places
    payload = model._get_request_payload([HumanMessage("hi")], max_tokens=12)
    assert payload["extra_body"]["max_tokens"] == 12 and payload["max_completion_tokens"] == 12


def test_max_tokens_not_duplicated_for_api_openai_com():
    model = make_chat_model(Settings(llm_backend="openai", openai_api_key=KEY))
    payload = model._get_request_payload([HumanMessage("hi")])
    assert "extra_body" not in payload or "max_tokens" not in (payload["extra_body"] or {})


def test_local_backend_uses_explicit_gguf(tmp_path):
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    model = make_chat_model(Settings(local_model_path=gguf, n_ctx=1024, max_tokens=20))
    assert isinstance(model, ChatLlamaCpp)
    assert model.model_path == str(gguf) and model.n_ctx == 1024 and model.max_tokens == 20


def test_model_label_names_backend_never_key():
    assert "embedded" in model_label(Settings())
    label = model_label(openai_settings("http://user:pw@127.0.0.1:8080/v1"))
    assert label == "local @ http://127.0.0.1:8080/v1"
    assert KEY not in label and "pw" not in label
    assert model_label(Settings(llm_backend="fake")) == "fake chat model"
    assert public_url("https://api.example.com/v1") == "https://api.example.com/v1"


# --------------------------------------------------------------------------- JSON mode


def test_json_mode_parses_and_validates():
    fake = FakeListChatModel(responses=['{"label": "opposes", "sentence": 3}'])
    assert json_mode(fake, Pick).invoke("which?") == Pick(label="opposes", sentence=3)


@pytest.mark.parametrize(
    "reply",
    [
        '```json\n{"label": "neutral", "sentence": 1}\n```',
        'Sure! {"label": "neutral", "sentence": 1} Hope that helps.',
    ],
)
def test_parse_json_strips_fences_and_prose(reply):
    assert parse_json(reply, Pick) == Pick(label="neutral", sentence=1)


@pytest.mark.parametrize("reply", ["not json", '{"label": "maybe", "sentence": 1}', "{"])
def test_parse_json_rejects_invalid(reply):
    with pytest.raises(ModelError, match="no valid Pick JSON"):
        parse_json(reply, Pick)


def test_json_mode_states_schema_in_system_prompt():
    seen = []

    class Recorder(FakeListChatModel):
        def _call(self, messages, *args, **kwargs):
            seen.append(messages)
            return super()._call(messages, *args, **kwargs)

    model = Recorder(responses=['{"label": "supports", "sentence": 2}'])
    json_mode(model, Pick).invoke([SystemMessage("You judge stance."), HumanMessage("go")])
    system = seen[0][0]
    assert isinstance(system, SystemMessage)
    assert system.content.startswith("You judge stance.") and '"opposes"' in system.content


def test_json_mode_binds_grammar_schema_for_llama_cpp():
    model = ChatLlamaCpp(model_path="/nonexistent.gguf")
    binding = json_mode(model, Pick).steps[1]
    fmt = binding.kwargs["response_format"]
    assert fmt["type"] == "json_object" and fmt["schema"]["properties"]["label"]["enum"]


def test_json_mode_asks_openai_for_json_object():
    model = make_chat_model(openai_settings("http://127.0.0.1:9/v1"))
    binding = json_mode(model, Pick).steps[1]
    assert binding.kwargs["response_format"] == {"type": "json_object"}
    grammar = make_chat_model(openai_settings("http://127.0.0.1:9/v1", openai_schema_grammar=True))
    fmt = json_mode(grammar, Pick, max_tokens=30).steps[1].kwargs
    assert fmt["response_format"]["schema"]["required"] == ["label", "sentence"]
    assert fmt["max_tokens"] == 30


def test_json_mode_sees_through_an_existing_binding():
    model = ChatLlamaCpp(model_path="/nonexistent.gguf").bind(temperature=0.2)
    assert "schema" in json_mode(model, Pick).steps[1].kwargs["response_format"]


def test_openai_model_really_streams():
    # an explicit streaming=False would make LangChain fold stream() into one chunk
    model = make_chat_model(openai_settings("http://127.0.0.1:9/v1"))
    assert model._should_stream(async_api=False, stream=True)


# --------------------------------------------------------------------------- error translation


def test_refused_port_is_a_model_error_naming_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = make_chat_model(openai_settings(url))
    with pytest.raises(ModelError, match="cannot reach") as err:
        model.invoke("hi")
    assert url in str(err.value) and KEY not in str(err.value)
    assert "\n" not in str(err.value)


def test_slow_server_times_out_as_model_error():
    with http_stub(200, {}, delay=3.0) as url:
        model = make_chat_model(openai_settings(url, llm_timeout_s=0.5))
        with pytest.raises(ModelError, match=r"did not answer within 0.5s") as err:
            model.invoke("hi")
    assert url in str(err.value)


def test_server_500_is_a_model_error():
    body = {"error": {"message": "json_schema is not supported", "type": "server_error"}}
    with http_stub(500, body) as url:
        model = make_chat_model(openai_settings(url))
        with pytest.raises(ModelError, match="HTTP 500") as err:
            model.invoke("hi")
    assert "json_schema is not supported" in str(err.value) and KEY not in str(err.value)


def test_stream_errors_are_model_errors_too():
    with http_stub(503, {"error": {"message": "loading"}}) as url:
        model = make_chat_model(openai_settings(url))
        with pytest.raises(ModelError, match="HTTP 503"):
            list(model.stream("hi"))


@pytest.mark.parametrize("status", [401, 500])
def test_api_key_never_in_message_or_logs(status, caplog):
    # a hostile/verbose server that quotes the key back, as OpenAI's 401 partly does
    seen: list = []
    body = {"error": {"message": f"Incorrect API key provided: {KEY}"}}
    caplog.set_level(logging.DEBUG)
    with http_stub(status, body, seen=seen) as url:
        model = make_chat_model(openai_settings(url))
        with pytest.raises(ModelError) as err:
            model.invoke("hi")
    assert seen and seen[0]["headers"]["authorization"] == f"Bearer {KEY}"  # the key was sent
    assert KEY not in str(err.value)
    assert f"HTTP {status}" in str(err.value)
    assert KEY not in caplog.text


def test_404_points_at_model_and_base_url():
    with http_stub(404, {"error": {"message": "model not found"}}) as url:
        with pytest.raises(ModelError, match="PARLEY_OPENAI_MODEL"):
            make_chat_model(openai_settings(url)).invoke("hi")

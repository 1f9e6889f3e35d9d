"""ChatLlamaCpp's logic over a fake llama.cpp: generate, stream, usage, prefix cache, async."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from chains import llamacpp
from chains.llamacpp import ChatLlamaCpp, to_chat_dicts
from chains.modelfiles import ensure_local_model
from parley.core.errors import ModelError
from parley.core.settings import Settings

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

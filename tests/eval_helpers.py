"""Helpers for the eval harness tests: a scripted fake chat model that counts its calls."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from parley.core.settings import Settings

QA_IDS = ["qa-000-sullivan-condition", "qa-000-weapons", "qa-absent-lavrov-call"]
GOOD = {
    "serious about diplomacy": "If Russia is serious about diplomacy, Moscow should stop attacking "
                               "Ukrainian cities, Sullivan said [1].",
    "which kinds of weapons": "Sullivan warned of the consequences of the possible use of chemical "
                              "or biological weapons in Ukraine [1].",
}


class ScriptedChatModel(BaseChatModel):
    """Answers by the first script key found in the last message; counts calls; reports usage."""

    script: dict[str, str] = {}
    default: str = "NOT IN ARTICLES"
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.calls += 1
        text = str(messages[-1].content)
        # match on what follows the quoted documents (the question), not on the documents
        asked = text.rsplit("</document>", 1)[-1]
        reply = next((r for k, r in self.script.items() if k.lower() in asked.lower()), self.default)
        usage = {"input_tokens": len(text.split()), "output_tokens": len(reply.split()),
                 "total_tokens": len(text.split()) + len(reply.split())}
        return ChatResult(generations=[ChatGeneration(message=AIMessage(reply, usage_metadata=usage))])


class Factory:
    """A model factory for run_matrix that hands out scripted models and remembers them."""

    def __init__(self, script: dict[str, str] | None = None, broken_max_tokens: int | None = None):
        self.script = GOOD if script is None else script
        self.broken_max_tokens = broken_max_tokens
        self.models: list[ScriptedChatModel] = []

    def __call__(self, settings: Settings) -> ScriptedChatModel:
        broken = settings.max_tokens == self.broken_max_tokens
        m = ScriptedChatModel(script={} if broken else self.script)
        self.models.append(m)
        return m

    @property
    def calls(self) -> int:
        return sum(m.calls for m in self.models)


def fake_settings(**kw: Any) -> Settings:
    """Fake chat model label + fake embeddings, data dir from the autouse fixture (or kw)."""
    return Settings(llm_backend="fake", embedding_backend="fake", **kw)

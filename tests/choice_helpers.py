"""A fake chat model that answers with fixed first-token log-probabilities (OpenAI's format)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

# decides, from the prompt text, the probability of each option token
Scorer = Callable[[str], dict[str, float]]


def _prompt_text(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages)


class LogprobChatModel(BaseChatModel):
    """Writes the most likely option and reports `top_logprobs` as a real server would."""

    scorer: Any
    with_logprobs: bool = True
    calls: list[dict] = []

    @property
    def _llm_type(self) -> str:
        return "fake-logprobs"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        self.calls.append({"prompt": _prompt_text(messages), **kwargs})
        probs = self.scorer(_prompt_text(messages))
        best = max(probs, key=probs.get)
        meta: dict[str, Any] = {}
        if self.with_logprobs and kwargs.get("logprobs"):
            top = sorted(probs.items(), key=lambda kv: -kv[1])[: kwargs.get("top_logprobs", 20)]
            meta["logprobs"] = {"content": [{
                "token": best, "logprob": math.log(probs[best]),
                "top_logprobs": [{"token": t, "logprob": math.log(p)} for t, p in top if p > 0],
            }]}
        msg = AIMessage(content=best, response_metadata=meta)
        return ChatResult(generations=[ChatGeneration(message=msg)])


def logprob_model(scorer: Scorer | dict[str, float], *, with_logprobs: bool = True) -> LogprobChatModel:
    """A LogprobChatModel from a fixed distribution or a prompt -> distribution function."""
    fn = scorer if callable(scorer) else (lambda _text, d=dict(scorer): d)
    return LogprobChatModel(scorer=fn, with_logprobs=with_logprobs, calls=[])

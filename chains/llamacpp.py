"""ChatLlamaCpp: a LangChain chat model over an in-process llama.cpp model (llama-cpp-python).

The GGUF's own chat template formats the messages. Structured output goes through
`response_format={"type": "json_object", "schema": {...}}`, which llama-cpp-python turns into
a grammar, so the model can only emit JSON that fits the schema (syntax, not sense).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from chains.llamacpp_logprobs import first_token_logprobs
from parley.core.errors import ModelError

# One loaded model per (path, n_ctx, n_threads): loading takes seconds and ~0.7 GB, so every
# ChatLlamaCpp built with the same knobs shares it. llama.cpp contexts are not thread-safe,
# hence one lock per model around each completion (Streamlit runs sessions in threads).
_MODELS: dict[tuple[str, int, int | None], tuple[Any, threading.Lock]] = {}
_MODELS_LOCK = threading.Lock()

# create_chat_completion keywords a caller may pass through bind()/invoke()
_PASSTHROUGH = {
    "response_format",
    "top_p",
    "top_k",
    "min_p",
    "repeat_penalty",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    # choice scoring (chains/choice.py) reads the first token's alternatives
    "logprobs",
    "top_logprobs",
}


def load_llama(
    model_path: str | Path, n_ctx: int, n_threads: int | None
) -> tuple[Any, threading.Lock]:
    """Return the cached `llama_cpp.Llama` for these knobs (loading it once) and its lock."""
    key = (str(Path(model_path).resolve()), n_ctx, n_threads)
    with _MODELS_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        if not Path(model_path).is_file():
            raise ModelError(
                f"GGUF model {model_path} does not exist: check PARLEY_LOCAL_MODEL_PATH"
            )
        try:
            # lazy: llama-cpp-python is the optional `local` extra; an OpenAI-endpoint install lacks it
            from llama_cpp import Llama
        except ImportError as exc:
            raise ModelError(
                "llama-cpp-python is not installed: pip install 'parley[local]' "
                "(compiles ~15 min) or set PARLEY_LLM_BACKEND=openai"
            ) from exc
        # llama.cpp busy-waits its threads: on a shared 2-core box, 2 threads ran 3-5x slower
        # than 1 whenever anything else was running, so default to half the cores for both the
        # prompt (batch) and the answer (llama's own batch default would take every core)
        threads = n_threads or max((os.cpu_count() or 2) // 2, 1)
        try:
            llm = Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(
                f"cannot load GGUF model {model_path} ({exc}): check PARLEY_LOCAL_MODEL_PATH "
                "or lower PARLEY_N_CTX"
            ) from exc
        _MODELS[key] = (llm, threading.Lock())
        return _MODELS[key]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    # content blocks: keep the text ones (a small local model sees no images anyway)
    return "".join(
        b if isinstance(b, str) else str(b.get("text", ""))
        for b in content
        if isinstance(b, str) or (isinstance(b, dict) and b.get("type") == "text")
    )


def to_chat_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """Convert LangChain messages to the role/content dicts llama.cpp's chat templates take."""
    out = []
    for m in messages:
        if isinstance(m, SystemMessage):
            role = "system"
        elif isinstance(m, HumanMessage):
            role = "user"
        elif isinstance(m, AIMessage):
            role = "assistant"
        elif isinstance(m, ChatMessage):
            role = m.role
        else:
            raise ModelError(
                f"ChatLlamaCpp cannot send a {type(m).__name__}: tools are not supported"
            )
        out.append({"role": role, "content": _text(m.content)})
    return out


def _usage(prompt_tokens: int, completion_tokens: int) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=prompt_tokens,
        output_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


class ChatLlamaCpp(BaseChatModel):
    """Chat with a GGUF model in this process through llama-cpp-python."""

    model_path: str
    model_name: str = Field(default="", description="label for metadata; defaults to the file stem")
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 256
    temperature: float = 0.0
    stop: list[str] | None = None
    # Reusing the KV cache of a shared prompt prefix saves prompt reading, but llama.cpp then
    # evaluates the rest in other batches and greedy answers change with what was asked
    # before (seen: the same prompt gave two different answers). Off by default: evals and
    # tests need the same answer for the same prompt.
    reuse_prefix: bool = False

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }

    @property
    def label(self) -> str:
        return self.model_name or Path(self.model_path).stem

    def load(self) -> tuple[Any, threading.Lock]:
        """Load (or fetch from the cache) the underlying llama.cpp model."""
        return load_llama(self.model_path, self.n_ctx, self.n_threads)

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(kwargs) - _PASSTHROUGH - {"max_tokens", "temperature", "grammar"}
        if unknown:
            raise ModelError(f"ChatLlamaCpp does not take {sorted(unknown)}")
        params: dict[str, Any] = {
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "stop": stop if stop is not None else self.stop,
        }
        params.update({k: v for k, v in kwargs.items() if k in _PASSTHROUGH})
        grammar = kwargs.get("grammar")
        # a GBNF string is compiled here so callers need no llama_cpp import
        if isinstance(grammar, str):
            from llama_cpp import LlamaGrammar  # lazy: the optional `local` extra (see load_llama)

            grammar = LlamaGrammar.from_string(grammar, verbose=False)
        if grammar is not None:
            params["grammar"] = grammar
        return params

    def _complete(
        self, llm: Any, messages: list[BaseMessage], params: dict[str, Any], stream: bool,
        keep_prefix: bool = False,
    ) -> Any:
        if not (self.reuse_prefix or keep_prefix):
            llm.reset()  # forget the cached prefix: the answer depends on this prompt alone
        try:
            return llm.create_chat_completion(
                messages=to_chat_dicts(messages), stream=stream, **params
            )
        except ValueError as exc:  # llama-cpp raises ValueError when the prompt exceeds n_ctx
            raise ModelError(
                f"{self.label}: {exc}; shorten the prompt (fewer passages) or raise PARLEY_N_CTX"
            ) from exc

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        params = self._params(stop, kwargs)
        top_n = None  # one-token choices: the first token's logprobs, read from the context
        if params.get("max_tokens") == 1 and params.get("logprobs"):
            params.pop("logprobs")
            top_n = params.pop("top_logprobs", 1)
        llm, lock = self.load()
        with lock:
            # one-token choices share their prompt up to the statement: reading it once made
            # stance scoring 5-9x faster; probabilities moved by <= 0.01 (chains/stance.py)
            out = self._complete(llm, messages, params, stream=False, keep_prefix=top_n is not None)
            if top_n is not None:
                out["choices"][0]["logprobs"] = first_token_logprobs(llm, top_n)
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        finish = choice.get("finish_reason")
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata=_usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)),
            response_metadata={
                "model_name": self.label,
                "finish_reason": finish,
                "token_usage": usage,
                **({"logprobs": choice["logprobs"]} if choice.get("logprobs") else {}),
            },
        )
        return ChatResult(
            generations=[
                ChatGeneration(message=message, generation_info={"finish_reason": finish})
            ],
            llm_output={"token_usage": usage, "model_name": self.label},
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        params = self._params(stop, kwargs)
        llm, lock = self.load()
        finish = None
        pieces: list[str] = []
        with lock:  # held until the stream ends or the consumer closes the generator
            for part in self._complete(llm, messages, params, stream=True):
                choice = part["choices"][0]
                finish = choice.get("finish_reason") or finish
                text = (choice.get("delta") or {}).get("content") or ""
                if not text:
                    continue
                pieces.append(text)
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
            # llama.cpp's stream carries no usage; the context now holds prompt + answer tokens
            completion = len(
                llm.tokenize("".join(pieces).encode("utf-8"), add_bos=False, special=True)
            )
            prompt = max(int(llm.n_tokens) - completion, 0)
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=_usage(prompt, completion),
                response_metadata={"model_name": self.label, "finish_reason": finish},
                chunk_position="last",
            ),
            generation_info={"finish_reason": finish},
        )

"""The one chat-model factory: embedded llama.cpp, any OpenAI-compatible server, or a fake.

Every chain receives the model `make_chat_model(settings)` returns. Failures reach callers as
one-line `ModelError`s: ChatLlamaCpp raises them itself, and the OpenAI-compatible model passes
every call through the one error boundary (`parley.core.boundary`): connection errors, timeouts,
HTTP errors and malformed responses become one line naming the URL, never the key, for `invoke`,
`stream`, `batch` and their async forms alike. PARLEY_LLM_TIMEOUT_S bounds the whole call,
retries included. Code that calls a raw OpenAI client can use `translate_errors(url)`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, convert_to_messages
from langchain_core.runnables import Runnable, RunnableBinding, RunnableLambda
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr, ValidationError

from chains.llamacpp import ChatLlamaCpp
from chains.modelfiles import ensure_local_model
from parley.core.boundary import Backend, outside_call, short, split_timeout
from parley.core.errors import ModelError, ModelOutputError
from parley.core.secrets import public_url
from parley.core.settings import Settings

OPENAI_URL = "https://api.openai.com/v1"
# local servers (llama.cpp, vLLM, Ollama) ignore the key, but the client insists on one
NO_KEY = "not-needed"
FAKE_REPLY = (
    "This is Parley's fake chat model: set PARLEY_LLM_BACKEND=local or openai for real answers."
)

M = TypeVar("M", bound=BaseModel)


def make_chat_model(
    settings: Settings, *, fake_responses: list[str] | None = None
) -> BaseChatModel:
    """Build the chat model `settings.llm_backend` names (`fake_responses` only for `fake`)."""
    if settings.llm_backend == "local":
        path = ensure_local_model(settings)
        return ChatLlamaCpp(
            model_path=str(path),
            model_name=settings.local_model if settings.local_model_path is None else path.stem,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
        )
    if settings.llm_backend == "openai":
        return _make_openai(settings)
    return FakeListChatModel(responses=fake_responses or [FAKE_REPLY])


def model_label(settings: Settings) -> str:
    """Describe the active chat model for display (never includes secrets)."""
    if settings.llm_backend == "openai":
        return f"{settings.openai_model} @ {public_url(settings.openai_base_url or OPENAI_URL)}"
    if settings.llm_backend == "fake":
        return "fake chat model"
    name = settings.local_model_path.name if settings.local_model_path else settings.local_model
    return f"{name} (embedded llama.cpp)"


# --------------------------------------------------------------------------- openai-compatible


class ParleyChatOpenAI(ChatOpenAI):
    """ChatOpenAI that raises one-line ModelErrors and caps tokens on llama.cpp-style servers."""

    # also send `max_tokens`, for servers that ignore max_completion_tokens
    send_max_tokens: bool = False
    # put the JSON schema inside response_format (llama.cpp servers turn it into a grammar)
    schema_in_response_format: bool = False
    # PARLEY_LLM_TIMEOUT_S: bounds the whole call; `timeout` is what one attempt may take
    total_timeout_s: float | None = None

    def _get_request_payload(
        self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        cap = payload.get("max_completion_tokens")
        if self.send_max_tokens and cap is not None:
            # llama.cpp's server ignores max_completion_tokens (a 20-token call wrote 4,086)
            payload["extra_body"] = {**(payload.get("extra_body") or {}), "max_tokens": cap}
        return payload

    def _errors(self) -> AbstractContextManager[None]:
        key = self.openai_api_key.get_secret_value() if self.openai_api_key else None
        return translate_errors(self.openai_api_base or OPENAI_URL, secret=key,
                                timeout=self.total_timeout_s or self.request_timeout,
                                model=self.model_name)

    def _deadline(self) -> float:
        return time.monotonic() + (self.total_timeout_s or float("inf"))

    def _late(self) -> ModelError:
        url = public_url(self.openai_api_base or OPENAI_URL)
        return ModelError(f"chat model at {url} did not finish within {self.total_timeout_s:g}s: "
                          "raise PARLEY_LLM_TIMEOUT_S or lower PARLEY_MAX_TOKENS")

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        with self._errors():
            return super()._generate(*args, **kwargs)

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        with self._errors():
            return await super()._agenerate(*args, **kwargs)

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        deadline, n = self._deadline(), 0
        with self._errors():
            for chunk in super()._stream(*args, **kwargs):
                if time.monotonic() > deadline:  # a server that trickles tokens forever
                    raise self._late()
                n += 1
                yield chunk
        if not n:
            raise self._empty()

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        deadline, n = self._deadline(), 0
        with self._errors():
            async for chunk in super()._astream(*args, **kwargs):
                if time.monotonic() > deadline:
                    raise self._late()
                n += 1
                yield chunk
        if not n:
            raise self._empty()

    def _empty(self) -> ModelError:
        url = public_url(self.openai_api_base or OPENAI_URL)
        return ModelError(f"chat model at {url} sent a malformed response (a stream with no "
                          "answer in it): is PARLEY_OPENAI_BASE_URL an OpenAI-compatible server?")


def _make_openai(settings: Settings) -> ParleyChatOpenAI:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    if not key and not settings.openai_base_url:
        raise ModelError(
            "PARLEY_OPENAI_API_KEY is not set: set it, or point PARLEY_OPENAI_BASE_URL at a local server"
        )
    per_attempt, retries = split_timeout(settings.llm_timeout_s, settings.llm_max_retries)
    return ParleyChatOpenAI(
        base_url=settings.openai_base_url,
        api_key=SecretStr(key or NO_KEY),
        model=settings.openai_model,
        timeout=per_attempt,
        max_retries=retries,
        total_timeout_s=settings.llm_timeout_s,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        # no `streaming=` here: an explicit False makes LangChain turn stream() into one chunk
        send_max_tokens=settings.openai_base_url is not None,
        schema_in_response_format=settings.openai_schema_grammar,
    )


def chat_backend(url: str) -> Backend:
    """How messages about the OpenAI-compatible chat model name it and its settings."""
    return Backend("chat model", url, "PARLEY_OPENAI_BASE_URL", "PARLEY_OPENAI_API_KEY",
                   "PARLEY_LLM_TIMEOUT_S")


def translate_errors(
    url: str, *, secret: str | None = None, timeout: Any = None, model: str | None = None
) -> AbstractContextManager[None]:
    """Turn openai/httpx failures inside the block into one-line ModelErrors naming `url`."""
    return outside_call(chat_backend(url), ModelError, secret=secret, timeout=timeout, model=model)


# --------------------------------------------------------------------------- JSON mode

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def json_instruction(schema: type[BaseModel]) -> str:
    """The system-prompt line telling a model to answer with JSON fitting `schema`."""
    compact = json.dumps(schema.model_json_schema(), separators=(",", ":"))
    return (
        f"Reply with one JSON object only, no other text. It must match this JSON schema: {compact}"
    )


def parse_json(text: str, schema: type[M], *, label: str = "chat model") -> M:
    """Parse a model's JSON reply (code fences tolerated) into `schema`, or raise ModelOutputError."""
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    elif not body.startswith("{") and "{" in body:
        # small models sometimes add a sentence around the object
        body = body[body.find("{") : body.rfind("}") + 1]
    try:
        return schema.model_validate(json.loads(body))
    except (json.JSONDecodeError, ValidationError) as exc:
        reason = short(str(exc).splitlines()[0], 120)
        raise ModelOutputError(
            f"{label} returned no valid {schema.__name__} JSON ({reason}): got {short(text, 120)!r}"
        ) from None


def json_mode(
    model: Runnable, schema: type[M], *, instruct: bool = True, **bind: Any
) -> Runnable[Any, M]:
    """Return a Runnable: chat input in, a validated `schema` instance out.

    Local llama.cpp models are constrained by a grammar built from the schema. OpenAI-compatible
    servers get `response_format={"type": "json_object"}`, plus the schema when
    PARLEY_OPENAI_SCHEMA_GRAMMAR is on (a llama.cpp server enforces it as a grammar). With
    `instruct` the schema is also stated in the system prompt: a grammar guarantees syntax,
    the prompt tells the model what the fields mean. Extra keywords (e.g. `max_tokens=40`)
    are bound to the model call.
    """
    # a model that is already bound (model.bind(...)) is looked into for its backend
    base = model.bound if isinstance(model, RunnableBinding) else model
    if isinstance(base, ChatLlamaCpp):
        fmt: dict[str, Any] | None = {"type": "json_object", "schema": schema.model_json_schema()}
    elif isinstance(base, ChatOpenAI):
        fmt = {"type": "json_object"}
        if getattr(base, "schema_in_response_format", False):
            fmt["schema"] = schema.model_json_schema()
    else:
        fmt = None
    bound = model.bind(**bind, **({"response_format": fmt} if fmt else {}))
    label = getattr(base, "label", None) or type(base).__name__

    def add_instruction(value: LanguageModelInput) -> list[BaseMessage]:
        messages = list(_as_messages(value))
        if not instruct:
            return messages
        line = json_instruction(schema)
        if messages and isinstance(messages[0], SystemMessage):
            return [SystemMessage(content=f"{messages[0].content}\n\n{line}"), *messages[1:]]
        return [SystemMessage(content=line), *messages]

    def parse(message: BaseMessage) -> M:
        return parse_json(str(message.content), schema, label=label)

    return RunnableLambda(add_instruction) | bound | RunnableLambda(parse)


def _as_messages(value: LanguageModelInput) -> list[BaseMessage]:
    if isinstance(value, str):
        return [HumanMessage(content=value)]
    if hasattr(value, "to_messages"):
        return value.to_messages()
    return convert_to_messages(value)

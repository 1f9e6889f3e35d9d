"""Time a bare chat model: load, time to first token, total, tokens. Other benches import this.

    .venv/bin/python -m bench.bench_llm --max-tokens 64            # bare llama.cpp + ChatLlamaCpp
    .venv/bin/python -m bench.bench_llm --base-url http://127.0.0.1:8080/v1   # a server too

`time_bare_llama` is the floor (llama-cpp-python with nothing around it); `time_chat_model`
times any LangChain chat model (what Parley's chains call), so the `ask` benchmark can report
Parley's overhead as (its time) - (the bare model's time on the same prompt).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from chains.llamacpp import ChatLlamaCpp, load_llama
from chains.modelfiles import ensure_local_model
from chains.models import make_chat_model
from parley.core.settings import Settings

DEFAULT_SYSTEM = "You are a concise assistant."
DEFAULT_PROMPT = "In two sentences, explain why the sky is blue."


@dataclass
class Timing:
    """One timed answer."""

    label: str
    load_s: float  # 0.0 when the model was already loaded / remote
    first_token_s: float  # from the request to the first non-empty chunk
    total_s: float  # from the request to the last chunk
    prompt_tokens: int
    completion_tokens: int
    text: str

    @property
    def tokens_per_s(self) -> float:
        gen = self.total_s - self.first_token_s
        return (self.completion_tokens - 1) / gen if gen > 0 and self.completion_tokens > 1 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Return the timing as a JSON-ready dict (with tokens/s, text trimmed)."""
        d = asdict(self)
        d["tokens_per_s"] = round(self.tokens_per_s, 2)
        d["text"] = self.text[:200]
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in d.items()}


def time_bare_llama(
    gguf: str | Path,
    prompt: str = DEFAULT_PROMPT,
    *,
    system: str = DEFAULT_SYSTEM,
    max_tokens: int = 64,
    n_ctx: int = 2048,
    n_threads: int | None = 1,
    llm: Any = None,
) -> Timing:
    """Time llama-cpp-python alone (loads `gguf` unless a loaded `llm` is passed)."""
    load_s = 0.0
    if llm is None:
        t0 = time.perf_counter()
        llm, _ = load_llama(gguf, n_ctx, n_threads)  # Parley's loader: same knobs as the chat model
        load_s = time.perf_counter() - t0
    messages = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
    pieces: list[str] = []
    first = None
    t0 = time.perf_counter()
    stream = llm.create_chat_completion(
        messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
    )
    for part in stream:
        text = (part["choices"][0].get("delta") or {}).get("content") or ""
        if text and first is None:
            first = time.perf_counter() - t0
        pieces.append(text)
    total = time.perf_counter() - t0
    answer = "".join(pieces)
    completion = len(llm.tokenize(answer.encode(), add_bos=False, special=True))
    return Timing(
        label=f"bare llama.cpp {Path(gguf).name}",
        load_s=load_s,
        first_token_s=first if first is not None else total,
        total_s=total,
        prompt_tokens=max(int(llm.n_tokens) - completion, 0),
        completion_tokens=completion,
        text=answer,
    )


def time_chat_model(
    model: BaseChatModel,
    prompt: str = DEFAULT_PROMPT,
    *,
    system: str = DEFAULT_SYSTEM,
    label: str | None = None,
    **kwargs: Any,
) -> Timing:
    """Time one streamed answer from any LangChain chat model (tokens from usage_metadata)."""
    messages = [SystemMessage(content=system), HumanMessage(content=prompt)]
    pieces: list[str] = []
    first = None
    usage: dict[str, int] = {}
    t0 = time.perf_counter()
    for chunk in model.stream(messages, **kwargs):
        if chunk.content and first is None:
            first = time.perf_counter() - t0
        pieces.append(str(chunk.content))
        if chunk.usage_metadata:
            usage = dict(chunk.usage_metadata)
    total = time.perf_counter() - t0
    answer = "".join(pieces)
    return Timing(
        label=label or type(model).__name__,
        load_s=0.0,
        first_token_s=first if first is not None else total,
        total_s=total,
        prompt_tokens=usage.get("input_tokens", 0),
        completion_tokens=usage.get("output_tokens", 0) or len(pieces),
        text=answer,
    )


def main(argv: list[str] | None = None) -> None:
    """Print JSON timings for the bare model, ChatLlamaCpp, and optionally a server."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompt", default=DEFAULT_PROMPT)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=1, help="1 copes best with a busy 2-core box")
    ap.add_argument("--gguf", type=Path, default=None, help="default: the packaged model")
    ap.add_argument("--base-url", default=None, help="also time an OpenAI-compatible server")
    ap.add_argument("--server-model", default="local")
    args = ap.parse_args(argv)

    settings = Settings(local_model_path=args.gguf, n_ctx=args.n_ctx, n_threads=args.threads)
    gguf = ensure_local_model(settings)
    results = [time_bare_llama(gguf, args.prompt, max_tokens=args.max_tokens, n_ctx=args.n_ctx)]
    # ChatLlamaCpp: time the load separately, then a cold-prompt and a warm (cached-prefix) answer
    t0 = time.perf_counter()
    load_llama(gguf, args.n_ctx, args.threads)
    load_s = time.perf_counter() - t0
    chat = ChatLlamaCpp(
        model_path=str(gguf), n_ctx=args.n_ctx, n_threads=args.threads, max_tokens=args.max_tokens
    )
    first = time_chat_model(chat, args.prompt, label="ChatLlamaCpp")
    first.load_s = load_s
    results.append(first)
    results.append(time_chat_model(chat, args.prompt, label="ChatLlamaCpp (same prompt again)"))
    if args.base_url:
        server = make_chat_model(
            Settings(
                llm_backend="openai",
                openai_base_url=args.base_url,
                openai_model=args.server_model,
                max_tokens=args.max_tokens,
            )
        )
        results.append(time_chat_model(server, args.prompt, label=f"server {args.base_url}"))
    for r in results:
        print(json.dumps(r.as_dict()))


if __name__ == "__main__":
    main()

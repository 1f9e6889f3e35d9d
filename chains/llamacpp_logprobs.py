"""First-token log-probabilities from an in-process llama.cpp model, without `logits_all`.

llama-cpp-python returns `logprobs` only for models loaded with `logits_all=True`, which keeps
n_ctx × vocabulary floats (Qwen: 152k tokens, ~2.5 GB at n_ctx 4096). Choice scoring needs the
first generated token's distribution alone: after a one-token completion the context still holds
the logits of the last prompt token (the sampled token is never decoded), so they are read from
there and returned in OpenAI's format, as `ChatLlamaCpp` passes them on.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def first_token_logprobs(llm: Any, top_n: int) -> dict[str, Any]:
    """OpenAI-format `logprobs` of the first generated token (its `top_n` alternatives)."""
    # llama_cpp is an optional extra: imported here, where a loaded model proves it is installed
    import llama_cpp

    n_vocab = int(llm.n_vocab())
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,))
    logits = logits.astype(np.float64)
    top = float(logits.max())
    logp = logits - (top + float(np.log(np.exp(logits - top).sum())))
    n = max(1, min(top_n, n_vocab))
    best = np.argpartition(-logp, n - 1)[:n]
    best = best[np.argsort(-logp[best])]
    alts = [{"token": llm.detokenize([int(i)], special=True).decode("utf-8", errors="replace"),
             "logprob": float(logp[i])} for i in best]
    return {"content": [{**alts[0], "top_logprobs": alts}]}

"""Reading what the transformers backend's ``model.generate`` returns: one row of tokens per request, cut at its
first stop token, decoded, with the confidence of each value it names and the error of an answer cut short.

Apart from ``tagllm.backends.transformers`` (running the batch) because it is plain token arithmetic on lists,
needing neither torch nor the model.
"""

from __future__ import annotations

import math
from typing import Any

from tagllm.backends.base import Generation, GenerationRequest
from tagllm.backends.confidence import decoded_spans, enum_ids, value_confidences
from tagllm.models import RecordError


def read_row(
    tokenizer: Any,
    ids: list[int],
    request: GenerationRequest,
    stop_set: set[int],
    logprobs: list[float] | None,
    *,
    broken: bool,
    max_new_tokens: int,
    prompt_tokens: int,
    latency_ms: float,
) -> Generation:
    """One row of a batch's output as a ``Generation``: its tokens up to and including the first stop token (what
    follows is padding), decoded, with the confidence of each value it names (from ``logprobs``, the chosen tokens'),
    and an error when the answer was cut at ``max_new_tokens`` or the grammar was ``broken`` on it."""
    generated = len(ids)
    length = next((k + 1 for k, t in enumerate(ids) if t in stop_set), generated)
    ids = ids[:length]
    text = tokenizer.decode(ids, skip_special_tokens=True)
    confidences = None
    if logprobs:
        confidences = value_confidences(
            text,
            decoded_spans(tokenizer, ids),
            [lp if math.isfinite(lp) else -1e4 for lp in logprobs[:length]],
            enum_ids(request.schema, request.candidates),
        )
    error = None
    if length == generated and (not ids or ids[-1] not in stop_set):
        error = RecordError(
            message=f"the answer was cut at max_new_tokens={max_new_tokens}; raise backend_options.max_new_tokens"
        )
    if broken:
        error = RecordError(message="the grammar rejected a sampled token (xgrammar/tokenizer mismatch)")
    return Generation(
        text=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=len(ids),
        latency_ms=latency_ms,
        confidences=confidences,
        error=error,
    )

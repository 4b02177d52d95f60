"""Reading what the vllm backend's engine hands back: a request's output as a ``Generation`` (its text, token counts and
the confidence of each value it names), with the error of an answer cut short or left unfinished, and the error of a
request the engine refused.

Apart from ``tagllm.backends.vllm`` (building the engine and sending it a batch's requests) because it only reads the
objects vLLM returns or raises, needing neither vLLM nor a GPU.
"""

from __future__ import annotations

import re
from typing import Any

from tagllm.backends.base import Generation, GenerationRequest
from tagllm.backends.confidence import decoded_spans, enum_ids, value_confidences
from tagllm.models import RecordError

AGAIN = "run again with --resume to tag it"
# How a request that did not finish its answer ended (vLLM's FinishReason; "length" is read apart): why, in words,
# and whether asking again can help (a repeating pattern comes back under the same greedy settings).
UNFINISHED = {
    "abort": (f"vLLM aborted this product's request before its answer was finished; {AGAIN}", True),
    "error": (f"vLLM failed this product's request with an internal error (such as a KV-cache load); {AGAIN}", True),
    "repetition": (
        "vLLM stopped this product's answer on a repeating pattern of tokens, so it has no answer; set a temperature "
        "above 0 in backend_options, or try another model",
        False,
    ),
}
SHORTEN_PHOTO_PROMPT = (
    "shorten the product's text or the template, or show fewer or smaller photos (image_limits.max_images, "
    "image_limits.llm_max_side)"
)


def read_output(
    output: Any,
    request: GenerationRequest,
    tokenizer: Any,
    *,
    logprobs: bool,
    max_new_tokens: int,
    latency_ms: float,
) -> Generation:
    """One request's ``RequestOutput`` as a ``Generation``: its first completion, with the confidence of each value it
    names (from the chosen tokens' log-probs, when ``logprobs`` and the request has a schema), and an error when the
    answer stopped for length or did not finish."""
    if not output.outputs:  # read as outputs[0], the IndexError had every product of the batch asked again alone
        message = f"vLLM returned no completion for this product's request; {AGAIN}"
        return Generation(error=RecordError(message=message, is_retryable=True))
    completion = output.outputs[0]
    ids = list(completion.token_ids)
    confidences = None
    if logprobs and completion.logprobs and request.schema is not None:
        chosen = [float(step[token].logprob) for step, token in zip(completion.logprobs, ids, strict=False)]
        confidences = value_confidences(
            completion.text,
            decoded_spans(tokenizer, ids),
            chosen,
            enum_ids(request.schema, request.candidates),
        )
    error = None
    finish = str(getattr(completion, "finish_reason", None))
    if finish == "length":
        message = cut_message(len(output.prompt_token_ids or []), len(ids), max_new_tokens)
        error = RecordError(message=message, is_retryable=False)
    elif finish in UNFINISHED:  # the text is the answer's start: mapped as a whole one, the failure went unsaid
        why, retryable = UNFINISHED[finish]
        error = RecordError(message=f"{why} (after {len(ids)} tokens)", is_retryable=retryable)
    return Generation(
        text=completion.text,
        prompt_tokens=len(output.prompt_token_ids or []),
        completion_tokens=len(ids),
        latency_ms=round(latency_ms, 2),
        confidences=confidences,
        error=error,
    )


def cut_message(prompt: int, answer: int, max_new_tokens: int) -> str:
    """Why an answer stopped for length: at ``max_new_tokens``, or short of it at the end of the model's context
    (a prompt with photos, whose image tokens are counted only by vLLM, that left too little room)."""
    if answer >= max_new_tokens:
        return f"the answer was cut at max_new_tokens={max_new_tokens}; raise backend_options.max_new_tokens"
    return (
        f"the answer was cut after {answer} tokens at the end of the model's context: the prompt is {prompt} "
        f"tokens, which leaves less room than max_new_tokens={max_new_tokens}; {SHORTEN_PHOTO_PROMPT}"
    )


def refusal_message(exc: BaseException, context: int | None, max_new_tokens: int) -> str:
    """A refused conversation's error: the context message when vLLM counted its prompt, photos included, as
    reaching ``max_model_len`` (``context``); else what vLLM said."""
    found = re.search(r"prompt \(length (\d+)\)", str(exc))
    if found is None or context is None:
        return f"vLLM refused the request: {type(exc).__name__}: {exc}"
    return (
        f"the prompt is {found[1]} tokens with its photos: with max_new_tokens={max_new_tokens}, more than "
        f"the model's context of {context} tokens; {SHORTEN_PHOTO_PROMPT}"
    )

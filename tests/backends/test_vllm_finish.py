"""The vllm backend reading how each request of a batch finished: a request the engine aborted, failed, stopped on a
repeating pattern or left without a completion fails that product alone, in words, and the rest keep their answers.

The engine here is a stand-in that returns vLLM's output shapes (no GPU, no model run): the tokenizer is the tiny
one the other backend tests build.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tagllm.backends.base import GenerationRequest

Requests = Callable[..., list[GenerationRequest]]
ANSWER = '{"category":"Dresses","color":"Red","material":null,"audience":null}'


class ScriptedLLM:
    """Stands in for ``vllm.LLM``: one ``generate`` call per batch, each request finished as ``finishes`` says
    (by its place in the batch; "stop" where it says nothing), its text the whole answer, or its first 10
    characters when it did not stop; ``None`` gives the request no completion at all."""

    def __init__(self, tokenizer: Any, finishes: dict[int, str | None]) -> None:
        self.tokenizer = tokenizer
        self.finishes = finishes
        self.calls = 0

    def get_tokenizer(self) -> Any:
        return self.tokenizer

    def generate(self, prompts: Any, sampling_params: Any = None, *, use_tqdm: bool = True) -> list[Any]:
        self.calls += 1
        outputs = []
        for place, prompt in enumerate(prompts):
            finish = self.finishes.get(place, "stop")
            text = ANSWER if finish == "stop" else ANSWER[:10]
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            completion = SimpleNamespace(text=text, token_ids=ids, logprobs=None, finish_reason=finish)
            completions = [] if finish is None else [completion]
            outputs.append(SimpleNamespace(prompt_token_ids=prompt["prompt_token_ids"], outputs=completions))
        return outputs


@pytest.mark.parametrize(
    ("finish", "said", "retryable"),
    [
        ("abort", "vLLM aborted this product's request before its answer was finished", True),
        ("error", "vLLM failed this product's request with an internal error", True),
        ("repetition", "vLLM stopped this product's answer on a repeating pattern of tokens", False),
        (None, "vLLM returned no completion for this product's request", True),
    ],
)
def test_a_request_that_did_not_finish_fails_its_product_alone(
    tiny_llama: tuple[Any, Any], make_requests: Requests, finish: str | None, said: str, retryable: bool
) -> None:
    # before: the aborted, failed or repeating answer's first characters went to the mapper as if whole (the
    # product's tags came from half an answer, the failure unsaid), and a request with no completion raised
    # IndexError, so that the whole batch was asked again one product at a time
    pytest.importorskip("vllm.sampling_params", reason="the contract test needs vllm installed (--no-deps is enough)")
    from tagllm.backends.vllm import VLLMBackend

    _, tokenizer = tiny_llama
    engine = ScriptedLLM(tokenizer, {1: finish})
    requests = make_requests()[:3]
    first, second, third = VLLMBackend.from_llm(engine, model="tiny", max_new_tokens=100).generate(requests)

    assert engine.calls == 1  # the batch answered together, not again product by product
    assert second.error is not None
    assert second.error.message.startswith(said), second.error.message
    assert second.error.is_retryable is retryable
    for generation in (first, third):
        assert generation.error is None
        assert generation.text == ANSWER

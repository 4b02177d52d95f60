"""The transformers backend when the model fails on one product of a batch: the rest of the batch is still answered,
and only the batch that failed is asked again, in halves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tagllm.backends.base import GenerationRequest

Requests = Callable[..., list[GenerationRequest]]
Check = Callable[[GenerationRequest, str], dict[str, Any]]


def test_a_batch_the_model_fails_on_is_answered_in_halves_and_only_the_product_it_fails_on_is_an_error(
    tiny_llama: tuple[Any, Any], make_requests: Requests, check_answer: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    # before: the exception left generate, the batches already answered were lost, and ask_backend asked all 6
    # products again one by one (model calls of 2, 2, 2 then 1 x 6: 12 rows generated for 6 products)
    from tagllm.backends.transformers import TransformersBackend
    from tagllm.results import ask_backend

    model, tokenizer = tiny_llama
    sizes: list[int] = []
    generate = model.generate

    def fails_on_cookware(**kwargs: Any) -> Any:
        sizes.append(len(kwargs["input_ids"]))
        if any("cookware" in text for text in tokenizer.batch_decode(kwargs["input_ids"])):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        return generate(**kwargs)

    monkeypatch.setattr(model, "generate", fails_on_cookware)
    requests = make_requests("zeroshot")
    generations = ask_backend(requests, TransformersBackend.from_model(model, tokenizer, batch_size=2))

    assert sorted(sizes) == [1, 1, 2, 2, 2]  # three batches, then the failed one in halves
    for request, generation in zip(requests, generations, strict=True):
        if request.product.id == "p5":  # Stainless steel cookware set
            assert generation.error is not None
            assert generation.error.message == (
                "the model failed while answering this product, asked alone (RuntimeError: probability tensor "
                "contains either `inf`, `nan` or element < 0)"
            )
            continue
        assert generation.error is None
        check_answer(request, generation.text)


def test_a_model_that_fails_on_every_product_fails_each_alone_and_says_no_other_was_answered(
    tiny_llama: tuple[Any, Any], make_requests: Requests, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the message said "the rest of its batch was answered" even where the rest had failed too
    from tagllm.backends.transformers import TransformersBackend
    from tagllm.results import ask_backend

    model, tokenizer = tiny_llama
    sizes: list[int] = []

    def always_fails(**kwargs: Any) -> Any:
        sizes.append(len(kwargs["input_ids"]))
        raise RuntimeError("CUDA error: device-side assert triggered")

    monkeypatch.setattr(model, "generate", always_fails)
    requests = make_requests("zeroshot")
    generations = ask_backend(requests, TransformersBackend.from_model(model, tokenizer, batch_size=2))

    assert sorted(sizes) == [1] * 6 + [2] * 3  # each batch, then each of its products alone; no call asked again
    message = (
        "the model failed while answering this product, asked alone (RuntimeError: CUDA error: device-side assert "
        "triggered)"
    )
    assert [g.error.message if g.error else None for g in generations] == [message] * len(requests)

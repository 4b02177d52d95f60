"""Fuzzing the Python API's backend path: whatever an OpenAI-compatible server sends back, each product ends as an
answer under its schema or a failure record, never an exception, and no tag leaves the taxonomy."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagllm.backends.base import GenerationRequest
from tagllm.schema import validate_answer

httpx = pytest.importorskip("httpx", reason="the openai backend needs httpx: pip install 'tagllm[openai]'")

DATA = Path(__file__).resolve().parents[1] / "data"
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


def completions(answers: list[str]) -> st.SearchStrategy[Any]:
    """Bodies shaped like a chat completion, with every part of it replaced by something else now and then."""
    content = st.one_of(
        st.sampled_from(answers),
        st.sampled_from(answers).map(lambda a: [{"type": "text", "text": a}]),
        st.sampled_from(answers).map(lambda a: a + " and also Electronics"),
        JSON,
    )
    logprobs = st.one_of(
        st.none(),
        JSON,
        st.lists(
            st.fixed_dictionaries({"token": st.text(max_size=3) | JSON, "logprob": st.floats() | JSON, "bytes": JSON}),
            max_size=5,
        ).map(lambda c: {"content": c}),
    )
    message = st.fixed_dictionaries({"role": st.just("assistant"), "content": content}) | JSON
    choice = st.fixed_dictionaries({"index": st.just(0), "message": message, "logprobs": logprobs}) | JSON
    usage = st.fixed_dictionaries({"prompt_tokens": JSON, "completion_tokens": JSON}) | JSON
    return st.one_of(
        st.fixed_dictionaries({"choices": st.lists(choice, max_size=2), "usage": usage}),
        st.fixed_dictionaries({"error": JSON}),
        JSON,
    )


def responses(answers: list[str]) -> st.SearchStrategy[tuple[int, bytes, dict[str, str]]]:
    status = st.sampled_from([200, 200, 200, 201, 204, 302, 400, 401, 404, 422, 429, 500, 502, 503])
    body = st.one_of(
        completions(answers).map(lambda b: json.dumps(b).encode()),
        st.binary(max_size=200),
        st.sampled_from([b"", b"<html>502 Bad Gateway</html>", b"[" * 50_000, b'{"choices": [', b"9" * 5000]),
    )
    headers = st.dictionaries(st.sampled_from(["retry-after", "content-type"]), st.text(max_size=30), max_size=2)
    return st.tuples(
        status, body, headers.map(lambda h: {k: v.encode("ascii", "replace").decode() for k, v in h.items()})
    )


class Scripted:
    """A mock transport answering from a queue; once it is used up, a valid answer under the request's schema."""

    def __init__(self) -> None:
        self.queue: list[tuple[int, bytes, dict[str, str]]] = []

    def __call__(self, request: Any) -> Any:
        from tagllm.testing import schema_answer

        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": [{"id": "fuzz", "owned_by": "vllm"}]})
        if self.queue:
            status, body, headers = self.queue.pop(0)
            return httpx.Response(status, content=body, headers=headers)
        schema = json.loads(request.content)["structured_outputs"]["json"]
        answer = json.dumps(schema_answer(schema, random.Random(0)))
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": answer}}]})


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[Scripted, Any]]:
    from tagllm.backends.openai import OpenAIBackend

    transport = Scripted()
    client = httpx.AsyncClient(base_url="http://fuzz/v1", transport=httpx.MockTransport(transport))
    backend = OpenAIBackend(client=client, max_retries=2, backoff=0.0, concurrency=4)

    async def no_wait(seconds: float) -> None:
        pass

    backend._sleep = no_wait
    yield transport, backend
    backend.close()


@pytest.fixture(scope="module")
def requests(make_requests: Callable[..., list[GenerationRequest]]) -> list[GenerationRequest]:
    return make_requests("zeroshot")


def _valid_answers(requests: list[GenerationRequest]) -> list[str]:
    from tagllm.testing import schema_answer

    return [json.dumps(schema_answer(r.schema or {}, random.Random(i))) for i, r in enumerate(requests)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_response_is_an_answer_under_the_schema_or_a_failure_record(
    scripted: tuple[Scripted, Any], requests: list[GenerationRequest], data: st.DataObject
) -> None:
    transport, backend = scripted
    request = requests[data.draw(st.integers(0, len(requests) - 1))]
    answers = _valid_answers(requests)
    transport.queue = data.draw(st.lists(responses(answers), min_size=1, max_size=3))
    (generation,) = backend.generate([request])
    assert isinstance(generation.text, str)
    if generation.error is None:
        assert validate_answer(request.schema or {}, json.loads(generation.text)) == []
        for facet in (generation.confidences or {}).values():
            assert all(0.0 <= c <= 1.0 for c in facet.values())
    else:
        assert generation.error.message
        generation.error.message.encode("utf-8")  # writable to any output as it is
        generation.text.encode("utf-8")


@pytest.fixture(scope="module")
def tagger(demo_taxonomy: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scripted, Any]]:
    from tagllm.assembly import build_index
    from tagllm.backends.openai import OpenAIBackend
    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger
    from tagllm.testing import hashing_embedder

    embedder = hashing_embedder()
    index = build_index(DATA / "demo_examples.jsonl", demo_taxonomy, embedder, tmp_path_factory.mktemp("index"))
    transport = Scripted()
    client = httpx.AsyncClient(base_url="http://fuzz/v1", transport=httpx.MockTransport(transport))
    backend = OpenAIBackend(client=client, max_retries=1, backoff=0.0, concurrency=4)

    async def no_wait(seconds: float) -> None:
        pass

    backend._sleep = no_wait
    config = TaggerConfig(backend="openai", prompt="fewshot", k=5, max_candidates=5)
    yield transport, Tagger(demo_taxonomy, index=index, embedder=embedder, backend=backend, config=config)
    backend.close()


PRODUCT = st.fixed_dictionaries(
    {"title": st.text(min_size=1, max_size=60)},
    optional={
        "description": st.text(max_size=200),
        "brand": st.text(max_size=20),
        "attributes": st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
        "queries": st.lists(st.text(max_size=20), max_size=3),
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    products=st.lists(PRODUCT, min_size=1, max_size=6).map(lambda ps: [{"id": f"p{i}", **p} for i, p in enumerate(ps)]),
    data=st.data(),
)
def test_the_python_api_tags_or_records_every_product_and_never_leaves_the_taxonomy(
    tagger: tuple[Scripted, Any], demo_taxonomy: Any, products: list[dict[str, Any]], data: st.DataObject
) -> None:
    transport, api = tagger
    transport.queue = data.draw(st.lists(responses(['{"category": "Apparel > Dresses"}']), max_size=8))
    results = api.tag(products)
    assert [r.product_id for r in results] == [p["id"] for p in products]
    for result in results:
        assert (result.status == "error") == (result.error is not None)
        for facet, tags in result.tags.items():
            for tag in tags:
                assert tag.id in demo_taxonomy.values and demo_taxonomy.values[tag.id].facet == facet
        result.model_dump_json()  # writable

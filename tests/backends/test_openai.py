"""The openai backend over real HTTP against a chat-completions server on 127.0.0.1 answering from the tiny model."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tagllm.backends.base import GenerationRequest
from tagllm.errors import ConfigError

pytest.importorskip("httpx", reason="the openai backend needs httpx: pip install 'tagllm[openai]'")

Requests = Callable[..., list[GenerationRequest]]
Check = Callable[[GenerationRequest, str], dict[str, Any]]


def backend_for(server: Any, **options: Any) -> Any:
    from tagllm.backends.openai import OpenAIBackend

    backend = OpenAIBackend(base_url=server.url, **{"backoff": 0.01, "timeout": 30.0, **options})
    backend.delays = []  # type: ignore[attr-defined]

    async def record(seconds: float) -> None:  # record the backoff instead of sleeping through it
        backend.delays.append(seconds)

    backend._sleep = record
    return backend


def test_every_answer_parses_and_holds_only_candidates(
    chat_server: Any, make_requests: Requests, check_answer: Check
) -> None:
    backend = backend_for(chat_server, concurrency=3)
    requests = make_requests()
    generations = backend.generate(requests)
    assert backend.model == "tiny"  # the only model the server lists
    assert backend.server == chat_server.kind
    for request, generation in zip(requests, generations, strict=True):
        assert generation.error is None, generation.error
        check_answer(request, generation.text)
        assert generation.prompt_tokens and generation.completion_tokens
    assert len(chat_server.log) == len(requests)


def test_vllm_gets_structured_outputs_and_others_response_format(chat_server: Any, make_requests: Requests) -> None:
    backend = backend_for(chat_server, model="tiny")
    request = make_requests()[0]
    backend.generate([request])
    body = chat_server.log[0]
    assert body["model"] == "tiny" and body["messages"] == request.messages
    assert body["temperature"] == 0.0 and body["max_tokens"] == 256 and body["seed"] == 0
    if chat_server.kind == "vllm":
        assert body["structured_outputs"] == {"json": request.schema}
        assert "response_format" not in body and body["logprobs"] is True
    else:
        assert body["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "product_tags", "schema": request.schema, "strict": True},
        }
        assert "structured_outputs" not in body and "logprobs" not in body


def test_a_vllm_server_is_asked_for_the_chat_template_without_thinking(
    chat_server: Any, make_requests: Requests
) -> None:
    """As the vllm and transformers backends ask the chat template: a Qwen3 served with vLLM's reasoning parser thought
    first, held to the schema only after its thinking, and max_new_tokens cut the answers there."""
    backend_for(chat_server, model="tiny").generate(make_requests()[:1])
    body = chat_server.log[0]
    if chat_server.kind == "vllm":
        assert body["chat_template_kwargs"] == {"enable_thinking": False}
    else:  # another server may refuse a field it does not know
        assert "chat_template_kwargs" not in body
    overridden = backend_for(chat_server, model="tiny", extra_body={"chat_template_kwargs": {"enable_thinking": True}})
    overridden.generate(make_requests()[:1])
    if chat_server.kind == "vllm":
        assert chat_server.log[1]["chat_template_kwargs"] == {"enable_thinking": True}


# The attribute step of 纯棉白色T恤 女款 once step 1 chose T-Shirts: its facets' candidates, optional ones nullable.
T_SHIRT_ATTRIBUTES = {
    "type": "object",
    "properties": {
        "color": {"type": "array", "items": {"type": "string", "enum": ["White"]}, "maxItems": 1},
        "material": {"type": "array", "items": {"type": "string", "enum": ["Cotton"]}, "maxItems": 1},
        "audience": {"type": ["string", "null"], "enum": ["Women", "Unisex", None]},
    },
    "required": ["color", "material", "audience"],
    "additionalProperties": False,
}


def test_the_attribute_step_body_holds_the_chosen_categorys_facets(
    chat_server: Any, make_attribute_requests: Requests, check_answer: Check
) -> None:
    requests = make_attribute_requests()
    t_shirt = requests[3]
    (generation,) = backend_for(chat_server, model="tiny").generate([t_shirt])
    assert generation.error is None
    check_answer(t_shirt, generation.text)
    constraint: dict[str, Any]
    if chat_server.kind == "vllm":
        constraint = {
            "structured_outputs": {"json": T_SHIRT_ATTRIBUTES},
            "logprobs": True,
            "chat_template_kwargs": {"enable_thinking": False},
        }
    else:
        constraint = {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "product_tags", "schema": T_SHIRT_ATTRIBUTES, "strict": True},
            }
        }
    body = chat_server.log[0]
    assert body == {
        "model": "tiny",
        "messages": t_shirt.messages,
        "max_tokens": 256,
        "temperature": 0.0,
        "seed": 0,
        **constraint,
    }
    user = body["messages"][1]["content"]
    assert user.startswith('Category (already chosen): "Apparel > Tops > T-Shirts"\n\nTagged examples of similar')
    assert user.endswith('Product to tag: {"title": "纯棉白色T恤 女款", "description": "夏季短袖上衣"}')


@pytest.mark.parametrize("chat_server", ["vllm"], indirect=True)
def test_logprobs_become_confidences_of_the_chosen_candidates(
    chat_server: Any, make_requests: Requests, demo_taxonomy: Any
) -> None:
    from tagllm.schema import candidate_labels

    requests = make_requests()
    for request, generation in zip(requests, backend_for(chat_server).generate(requests), strict=True):
        answer = json.loads(generation.text)
        assert generation.confidences is not None
        for facet, value in answer.items():
            labels = candidate_labels(demo_taxonomy, facet, request.candidates[facet])
            chosen = {labels[v] for v in (value if isinstance(value, list) else [value] if value else [])}
            assert set(generation.confidences.get(facet, {})) == chosen
            assert all(0.0 < c <= 1.0 for c in generation.confidences.get(facet, {}).values())


@pytest.mark.parametrize("chat_server", ["vllm"], indirect=True)
@pytest.mark.parametrize(
    ("failures", "attempts"),
    [(["500"], 2), (["503", "429", "500"], 4), (["malformed"], 2), (["off-schema", "malformed"], 3)],
)
def test_transient_failures_are_retried_until_an_answer(
    chat_server: Any, make_requests: Requests, check_answer: Check, failures: list[str], attempts: int
) -> None:
    requests = make_requests()
    chat_server.script["Men's leather running sneakers"] = list(failures)
    backend = backend_for(chat_server, max_retries=3)
    generations = backend.generate(requests)
    assert chat_server.attempts("Men's leather running sneakers") == attempts
    assert chat_server.attempts("Red floral midi dress") == 1
    for request, generation in zip(requests, generations, strict=True):
        assert generation.error is None
        check_answer(request, generation.text)
    # Exponential backoff with jitter (base 0.01 s), except after a 429 whose Retry-After said 0.
    expected = [0.0 if f == "429" else 0.01 * 2**i for i, f in enumerate(failures)]
    assert len(backend.delays) == len(failures)
    for delay, ceiling in zip(backend.delays, expected, strict=True):
        assert ceiling / 2 <= delay <= ceiling


@pytest.mark.parametrize("chat_server", ["openai"], indirect=True)
def test_a_product_that_keeps_failing_gets_a_failure_record_and_the_batch_completes(
    chat_server: Any, make_requests: Requests, check_answer: Check
) -> None:
    requests = make_requests()
    chat_server.script["Wool sweater, grey"] = ["500"] * 10
    chat_server.script["Stainless steel cookware set"] = ["malformed"] * 10
    generations = backend_for(chat_server, max_retries=2, concurrency=4).generate(requests)
    assert chat_server.attempts("Wool sweater, grey") == 3
    assert chat_server.attempts("Stainless steel cookware set") == 3
    sweater, cookware = generations[5], generations[4]
    assert sweater.error is not None and cookware.error is not None
    assert sweater.error.message == "HTTP 500: engine overloaded (gave up after 3 attempts)"
    assert sweater.error.is_retryable is True
    assert cookware.error.message == ('broken output, not JSON: \'{"category": "Appar\' (gave up after 3 attempts)')
    assert cookware.text == '{"category": "Appar'  # the raw text stays for the reviewer
    for request, generation in zip(requests[:4], generations[:4], strict=True):
        assert generation.error is None
        check_answer(request, generation.text)


@pytest.mark.parametrize("chat_server", ["openai"], indirect=True)
def test_a_client_error_is_not_retried(chat_server: Any, make_requests: Requests) -> None:
    chat_server.script["Red floral midi dress"] = ["400"]
    first = backend_for(chat_server, max_retries=3).generate(make_requests()[:1])[0]
    assert chat_server.attempts("Red floral midi dress") == 1
    assert first.error is not None
    assert first.error.message == "HTTP 400: response_format is not supported"
    assert first.error.is_retryable is False


@pytest.mark.parametrize("chat_server", ["vllm"], indirect=True)
def test_a_slow_answer_times_out_and_is_retried(chat_server: Any, make_requests: Requests, check_answer: Check) -> None:
    # The timeout leaves the tiny model time to answer on a busy two-core machine; a slow answer takes twice that.
    chat_server.slow_seconds = 6.0
    chat_server.script["Red floral midi dress"] = ["slow"]
    chat_server.script["Men's leather running sneakers"] = ["slow", "slow"]
    requests = make_requests()[:2]
    first, second = backend_for(chat_server, timeout=3.0, max_retries=1, concurrency=2).generate(requests)
    assert first.error is None
    check_answer(requests[0], first.text)
    assert chat_server.attempts("Red floral midi dress") == 2
    assert second.error is not None
    assert second.error.message == (
        "no answer within 3s; a slow server needs a higher backend_options.timeout (gave up after 2 attempts)"
    )


def test_the_api_key_comes_from_the_environment_and_is_never_shown(
    chat_server: Any, make_requests: Requests, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_LLM_KEY", "sk-secret-123")
    backend = backend_for(chat_server, api_key_env="MY_LLM_KEY")
    backend.generate(make_requests()[:1])
    assert chat_server.headers[0]["Authorization"] == "Bearer sk-secret-123"
    assert "sk-secret" not in repr(backend)


@pytest.mark.parametrize("chat_server", ["openai"], indirect=True)
def test_a_key_read_with_its_line_end_is_sent_without_it(
    chat_server: Any, make_requests: Requests, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export OPENAI_API_KEY=$(cat key.txt)` from a file with Windows line ends keeps a "\\r": it went into the
    header, and every product failed with httpx's "Illegal header value b'Bearer sk-secret-123\\r'", the key shown."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123\r\n")
    (generation,) = backend_for(chat_server).generate(make_requests()[:1])
    assert generation.error is None, generation.error
    assert chat_server.headers[0]["Authorization"] == "Bearer sk-secret-123"


def test_a_key_no_http_header_carries_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # pasted with a typographic quote: the run crashed with a UnicodeEncodeError traceback
    from tagllm.backends import get_backend

    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123\u2019")
    with pytest.raises(ConfigError) as refused:
        get_backend("openai", base_url="http://127.0.0.1:9/v1", model="qwen")
    assert str(refused.value) == (
        "openai backend: the API key in $OPENAI_API_KEY holds a character an HTTP header cannot carry (character 14 "
        "of 14, RIGHT SINGLE QUOTATION MARK); set it to the key alone"
    )


@pytest.mark.parametrize("chat_server", ["openai"], indirect=True)
def test_a_server_serving_several_models_needs_a_model_name(chat_server: Any, make_requests: Requests) -> None:
    import httpx

    def models(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": "a", "owned_by": "x"}, {"id": "b", "owned_by": "x"}]})

    from tagllm.backends.openai import OpenAIBackend

    client = httpx.AsyncClient(base_url="http://test/v1", transport=httpx.MockTransport(models))
    with pytest.raises(ConfigError, match="name the model with --model; the server serves: a, b"):
        OpenAIBackend(client=client).generate(make_requests()[:1])


def test_a_server_serving_several_models_needs_a_model_name_before_the_first_product() -> None:
    """Found at the first batch that reached the LLM, the mistake stopped a routing run part way, after the products
    the default was sure of were written; the backend's load now finds it, before the first product."""
    import httpx

    def models(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": "a", "owned_by": "x"}, {"id": "b", "owned_by": "x"}]})

    from tagllm.backends.openai import OpenAIBackend

    backend = OpenAIBackend(client=httpx.AsyncClient(base_url="http://test/v1", transport=httpx.MockTransport(models)))
    try:
        with pytest.raises(ConfigError, match="^openai backend: name the model with --model; the server serves: a, b$"):
            backend.load()
    finally:
        backend.close()


@pytest.mark.parametrize("late", ["sleeps", "read-timeout"])
def test_a_server_too_slow_to_list_its_models_says_to_raise_the_timeout(late: str) -> None:
    """Without --model, a server that answers the first /models but not the second, which finds the model, within the
    timeout: the run stopped with '/models is not answering (TimeoutError); pass --model', the timeout unnamed, where
    the first call's message names it."""
    import asyncio

    import httpx

    from tagllm.backends.openai import OpenAIBackend

    asked: list[str] = []

    async def slow_second_models(request: Any) -> Any:
        asked.append(request.url.path)
        if len(asked) > 1:  # an asyncio timeout, or the one httpx raises at a real socket
            if late == "sleeps":
                await asyncio.sleep(30)
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={"data": [{"id": "qwen", "owned_by": "vllm"}]})

    transport = httpx.MockTransport(slow_second_models)
    backend = OpenAIBackend(timeout=0.2, client=httpx.AsyncClient(base_url="http://test/v1", transport=transport))
    assert _refused_at_load(backend) == (
        "openai backend: http://127.0.0.1:8000/v1/models sent no answer within 0.2s; pass --model with the served "
        "model name, or, for a slow server, raise backend_options.timeout"
    )
    assert asked == ["/v1/models", "/v1/models"]


def _refused_at_load(backend: Any) -> str:
    """The ConfigError ``backend.load()`` raises (the backend closed after), as text."""
    try:
        with pytest.raises(ConfigError) as refused:
            backend.load()
    finally:
        backend.close()
    return str(refused.value)


def _vllm_serving_qwen(request: Any) -> Any:
    """A vLLM server serving 'qwen' (and, as Ollama does, 'qwen-alias' too, though /models does not list it)."""
    import httpx

    if request.url.path.endswith("/models"):
        return httpx.Response(200, json={"data": [{"id": "qwen", "owned_by": "vllm"}]})
    model = json.loads(request.content)["model"]
    if model not in ("qwen", "qwen-alias"):
        return httpx.Response(404, json={"error": {"message": f"The model `{model}` does not exist.", "code": 404}})
    return httpx.Response(200, json={"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}]})


def test_a_model_the_server_does_not_serve_stops_the_run_before_the_first_product() -> None:
    """--model qwen-7b against a server serving 'qwen': load() passed, and every product failed with HTTP 404 after
    the output was opened (an error record each, exit 1)."""
    import httpx

    from tagllm.backends.openai import OpenAIBackend

    transport = httpx.MockTransport(_vllm_serving_qwen)
    backend = OpenAIBackend(model="qwen-7b", client=httpx.AsyncClient(base_url="http://test/v1", transport=transport))
    assert _refused_at_load(backend) == (
        "openai backend: http://127.0.0.1:8000/v1 does not serve model 'qwen-7b' (HTTP 404: The model `qwen-7b` does "
        "not exist.); it serves: qwen; pass one of them with --model"
    )


def test_a_model_name_the_server_takes_without_listing_it_is_used(make_requests: Requests) -> None:
    import httpx

    from tagllm.backends.openai import OpenAIBackend

    transport = httpx.MockTransport(_vllm_serving_qwen)
    client = httpx.AsyncClient(base_url="http://test/v1", transport=transport)
    backend = OpenAIBackend(model="qwen-alias", client=client)
    try:
        backend.load()
        generations = backend.generate(make_requests(schema=False)[:2])
    finally:
        backend.close()
    assert [g.error for g in generations] == [None, None]


@pytest.mark.parametrize("model", ["qwen", None])
def test_a_refused_api_key_stops_the_run_before_the_first_product(
    model: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that wants a key the run does not send: with --model every product failed with 'HTTP 401:
    Unauthorized' after the output was opened; without, the run said '/models is not answering; pass --model'."""
    import httpx

    from tagllm.backends.openai import OpenAIBackend

    def serve(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != "Bearer right":
            return httpx.Response(401, json={"error": "Unauthorized"})
        return httpx.Response(200, json={"data": [{"id": "qwen", "owned_by": "vllm"}]})

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = httpx.AsyncClient(base_url="http://test/v1", transport=httpx.MockTransport(serve))
    backend = OpenAIBackend(model=model, client=client)
    assert _refused_at_load(backend) == (
        "openai backend: http://127.0.0.1:8000/v1 refused the request (HTTP 401 at /models: Unauthorized): "
        "$OPENAI_API_KEY is not set; set it to the server's API key "
        "(backend_options.api_key_env names another variable)"
    )


def test_a_photo_goes_where_the_template_placed_it_as_a_data_url(
    chat_server: Any, photo_request: GenerationRequest, tmp_path: Any, check_answer: Check
) -> None:
    import base64

    request = photo_request
    generation = backend_for(chat_server, model="tiny").generate([request])[0]
    assert generation.error is None, generation.error
    check_answer(request, generation.text)
    messages = request.messages or []
    sent = chat_server.log[0]["messages"]
    assert sent[:-1] == messages[:-1]  # the system message goes as it is
    text = messages[-1]["content"][0]["text"]
    assert text.endswith(
        'Product to tag: {"title": "Red floral midi dress", "brand": "Zara", "attributes": {"size": "M"}, '
        '"description": "Lightweight cotton dress for women with a floral print."}\n\n'
        "Photo of the product (use it too: it shows what the text may not say, such as the colour):"
    )
    url = "data:image/png;base64," + base64.b64encode((tmp_path / "dress.png").read_bytes()).decode()
    assert sent[-1] == {
        "role": "user",
        "content": [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}],
    }


def test_a_photo_a_text_only_model_refuses_says_how_to_send_text_alone(
    photo_request: GenerationRequest, make_requests: Requests
) -> None:
    """A server whose model reads no images answers HTTP 400 to every product with a photo, in its own words; nothing
    said that backend_options.images: false sends the text alone."""
    import httpx

    from tagllm.backends.openai import OpenAIBackend

    def text_only(request: httpx.Request) -> httpx.Response:
        messages = json.loads(request.content)["messages"]
        if any(isinstance(m["content"], list) for m in messages):
            return httpx.Response(400, json={"error": {"message": "Qwen2ForCausalLM is not a multimodal model"}})
        return httpx.Response(200, json={"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}]})

    client = httpx.AsyncClient(base_url="http://test/v1", transport=httpx.MockTransport(text_only))
    backend = OpenAIBackend(model="qwen", server="openai", client=client)
    try:
        with_photo, without = backend.generate([photo_request, *make_requests(schema=False)[:1]])
    finally:
        backend.close()
    assert with_photo.error is not None and without.error is None
    assert with_photo.error.message == (
        "HTTP 400: Qwen2ForCausalLM is not a multimodal model; the request showed the product's photo: if the served "
        "model reads no images, set backend_options.images: false to send text alone"
    )


def test_images_false_sends_text_alone(chat_server: Any, photo_request: GenerationRequest) -> None:
    backend = backend_for(chat_server, model="tiny", images=False)
    assert backend.supports_images is False  # the tagger then renders no photo into the messages


def test_a_file_run_counts_the_llms_answers_as_they_come(tmp_path: Any, demo_index_dir: Any) -> None:
    """A batch (1,024 products by default) of an LLM's answers takes minutes, and the progress line said "tagged",
    with no count, until the whole batch was written."""
    from tagllm.config import load_config
    from tagllm.tagger import Tagger
    from tagllm.testing import FaultyChatServer

    products = tmp_path / "products.jsonl"
    titles = ["Red summer dress", "Black leather boots", "Wireless earbuds"]
    products.write_text("".join(json.dumps({"id": f"p{i}", "title": t}) + "\n" for i, t in enumerate(titles)))
    reports: list[tuple[str, int, int | None]] = []
    with FaultyChatServer() as server:
        config = load_config(index=str(demo_index_dir), backend="openai", base_url=server.url, model="faulty", k=5)
        tagger = Tagger.from_config(config)
        try:
            tagger.tag_file(products, tmp_path / "tags.jsonl", progress=lambda *report: reports.append(report))
        finally:
            tagger.backend.close()
    assert [r for r in reports if r[0] in ("answer", "tag")] == [
        ("answer", 1, 3),
        ("answer", 2, 3),
        ("answer", 3, 3),
        ("tag", 3, None),
    ]


@pytest.mark.parametrize("chat_server", ["vllm"], indirect=True)
def test_a_template_longer_than_the_servers_context_stops_the_run_before_the_first_product(
    chat_server: Any, demo_taxonomy: Any, embedder: Any
) -> None:
    # before: the run started, and every product was refused by a vLLM server ("This model's maximum context length
    # is 256 tokens"), each one an error record; a template longer than the context alone was refused by the check's
    # own request too, which took the refusal for no answer and let the run start
    import re

    from tagllm.backends.chat import chat_text
    from tagllm.config import TaggerConfig
    from tagllm.models import Product
    from tagllm.tagger import Tagger

    def tagger() -> Tagger:
        config = TaggerConfig(k=5, max_candidates=4, prompt="zeroshot")
        backend = backend_for(chat_server, max_new_tokens=64)
        return Tagger(demo_taxonomy, embedder=embedder, backend=backend, config=config)

    messages = tagger().prompt.render(Product(id="tagllm-check", title="x"), {}, [])  # type: ignore[union-attr]
    tokenizer = chat_server.tokenizer
    tokens = len(tokenizer(chat_text(tokenizer, messages), add_special_tokens=False)["input_ids"])
    assert tokens > 256
    chat_server.max_model_len = 256  # the template alone is longer: vLLM answers HTTP 400
    with pytest.raises(ConfigError) as caught:
        tagger().prepare()
    assert re.fullmatch(
        r"the template 'zeroshot' \(.+zeroshot\.j2\) is longer than the model's context of 256 tokens before any "
        r"product's text \(the server: This model's maximum context length is 256 tokens\. However, your prompt "
        rf"contains {tokens} input tokens, which exceeds this limit even without any output tokens\. Please reduce the "
        r"length of the input prompt\.\), so every product would fail; shorten the template, or start the server "
        r"with a longer --max-model-len, up to the model's own context",
        str(caught.value),
    ), str(caught.value)
    chat_server.max_model_len = tokens + 10  # the template fits, its answer does not: counted by the server
    with pytest.raises(ConfigError) as caught:
        tagger().prepare()
    assert str(caught.value).endswith(
        f"is {tokens} tokens before any product's text: with max_new_tokens=64, more than the model's context of "
        f"{tokens + 10} tokens, so every product would fail; shorten the template, lower "
        "backend_options.max_new_tokens, or start the server with a longer --max-model-len, up to the model's own "
        "context"
    )
    chat_server.max_model_len = 8192
    tagger().prepare()  # room enough
    chat_server.max_model_len = None
    tagger().prepare()  # a server that does not say its context: left to the products

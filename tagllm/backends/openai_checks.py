"""What the openai backend asks a server before the first product (``OpenAIBackend.load``): that something at the
address answers as an OpenAI-compatible API and takes the API key, which model it serves and whether it is vLLM
(``discover``, asked again at each batch), and that it takes the request every product is sent as. Each mistake is
said once, before the output is opened, not as every product failing after its retries. Also how long a prompt is
against the served model's context (``prompt_size``), which the server alone can count."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, NoReturn

from tagllm.backends.base import GenerationRequest, PromptSize
from tagllm.backends.completion import BrokenOutput, error_text, read_json
from tagllm.backends.openai import _httpx
from tagllm.backends.openai_address import read_api_key
from tagllm.errors import ConfigError
from tagllm.models import Product

if TYPE_CHECKING:
    from tagllm.backends.openai import OpenAIBackend

NO_ROUTE = frozenset({404, 405, 501})
"""HTTP statuses that say an address has no such route (not found, method not allowed, not implemented)."""
CONTEXT_REFUSAL = "maximum context length"
"""What vLLM's (and OpenAI's) HTTP 400 for a prompt longer than the model's context says."""

# What ``load`` asks a server, shaped as a product's request is (a system and a user message, a strict schema).
PROBE_MESSAGES = [
    {"role": "system", "content": "You tag products. Answer with JSON."},
    {"role": "user", "content": 'Is this a check? Answer {"answer": "yes"}.'},
]
PROBE_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["answer"],
    "additionalProperties": False,
}


async def reach(backend: OpenAIBackend) -> None:
    """Something answers at the address as an HTTP server with an OpenAI-compatible API (see ``OpenAIBackend.load``)."""
    httpx = _httpx()
    fix = "start the server, or pass its address with --base-url"
    try:
        response = await asyncio.wait_for(backend._http().get("/models"), backend.timeout)
        if response.status_code == 404:
            await check_chat_route(backend)
        if response.status_code in (401, 403):
            refused_key(backend, response.status_code, response.content, "/models")
        if response.status_code == 200 and _web_page(response):
            # a web app at the address (a dashboard, a proxy's login page): with --model named, the run went on
            # and every product failed after its retries, each one "the response is not JSON"
            raise ConfigError(
                f"openai backend: {backend.base_url}/models answered with a web page, not the JSON of an "
                "OpenAI-compatible API; give the API's address (a vLLM or OpenAI server's ends in /v1) with "
                "--base-url"
            )
    except httpx.ConnectError as exc:
        raise ConfigError(
            f"openai backend: nothing answers at {backend.base_url} ({type(exc).__name__}: {exc}); {fix}"
        ) from None
    except (TimeoutError, httpx.TimeoutException):
        raise ConfigError(
            f"openai backend: {backend.base_url} took the connection but sent no answer within {backend.timeout:g}s; "
            f"{fix} (a server still loading its model: wait until it answers /models; a slow one: raise "
            "backend_options.timeout)"
        ) from None
    except httpx.HTTPError as exc:
        raise ConfigError(
            f"openai backend: {backend.base_url} did not answer as an HTTP server "
            f"({type(exc).__name__}: {str(exc) or 'the connection was closed or reset'}); {fix}"
        ) from None


def refused_key(backend: OpenAIBackend, status: int, raw: bytes, route: str) -> NoReturn:
    """A server that refuses the API key (HTTP 401 or 403) refuses every product: every one failed with it, after
    the output was opened (and without --model, the run said to pass one)."""
    key = (
        f"the key in ${backend.api_key_env} is not one it accepts"
        if read_api_key(backend.api_key_env)
        else f"${backend.api_key_env} is not set"
    )
    raise ConfigError(
        f"openai backend: {backend.base_url} refused the request (HTTP {status} at {route}: "
        f"{error_text(raw)}): {key}; set it to the server's API key "
        "(backend_options.api_key_env names another variable)"
    )


async def check_chat_route(backend: OpenAIBackend) -> None:
    """Whether a server without /models serves chat completions at this address: an HTTP server that is not
    OpenAI-compatible, or a vLLM server addressed without its /v1, answers 404 (or 405, 501) to the route every
    product is posted to, and each product failed after its retries, the address never named. An empty body asks
    nothing of a model: a server with the route answers 400 or 422, and the run goes on."""
    response = await asyncio.wait_for(backend._http().post("/chat/completions", json={}), backend.timeout)
    if response.status_code in NO_ROUTE:
        hint = (
            ""
            if backend.base_url.rstrip("/").endswith("/v1")
            else f" (an OpenAI-compatible server's address ends in /v1: {backend.base_url.rstrip('/')}/v1?)"
        )
        raise ConfigError(
            f"openai backend: {backend.base_url} serves no chat completions (HTTP {response.status_code} at "
            f"/chat/completions and 404 at /models): it is not an OpenAI-compatible server's address{hint}; "
            "pass that address with --base-url"
        )


async def discover(backend: OpenAIBackend) -> None:
    """Ask the server what it is (vLLM says so in ``owned_by``) and, when no model was named, which it serves."""
    if backend.server != "auto" and backend.model:
        return
    httpx = _httpx()
    try:
        response = await asyncio.wait_for(backend._http().get("/models"), backend.timeout)
        response.raise_for_status()
        data = read_json(response.content)
        listed = data.get("data") if isinstance(data, dict) else None
        models = [m for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []
    except (httpx.HTTPError, TimeoutError, BrokenOutput) as exc:
        # A server without /models is still usable when the model is named.
        if not backend.model and isinstance(exc, TimeoutError | httpx.TimeoutException):
            # it answered the first /models (``reach``): slow, not without the route
            raise ConfigError(
                f"openai backend: {backend.base_url}/models sent no answer within {backend.timeout:g}s; pass --model "
                "with the served model name, or, for a slow server, raise backend_options.timeout"
            ) from None
        if not backend.model:
            raise ConfigError(
                f"openai backend: {backend.base_url}/models is not answering ({type(exc).__name__}); "
                "pass --model with the served model name"
            ) from None
        backend.server = "openai"
        return
    if backend.server == "auto":
        backend.server = "vllm" if any(m.get("owned_by") == "vllm" for m in models) else "openai"
    names = [str(m.get("id")) for m in models if m.get("id") is not None]
    if backend.model and names and backend.model not in names:
        await check_model(backend, names)
    if not backend.model:
        if len(names) != 1:
            raise ConfigError(
                f"openai backend: name the model with --model; the server serves: {', '.join(names) or 'none'}"
            )
        backend.model = names[0]


async def check_model(backend: OpenAIBackend, served: list[str]) -> None:
    """Whether the server answers for a model its /models does not list: vLLM and OpenAI answer 404 for a model
    they do not serve, and every product failed with it after the output was opened. Some servers take names
    they do not list (Ollama's "llama3" for "llama3:latest"), so the model is asked for one token: a client
    error (4xx but 429) is the setup mistake; any other answer, or none, is left to the requests' retries."""
    httpx = _httpx()
    body = {"model": backend.model, "messages": [{"role": "user", "content": "OK"}], "max_tokens": 1}
    try:
        response = await asyncio.wait_for(backend._http().post("/chat/completions", json=body), backend.timeout)
    except (httpx.HTTPError, TimeoutError):
        return
    if 400 <= response.status_code < 500 and response.status_code != 429:
        raise ConfigError(
            f"openai backend: {backend.base_url} does not serve model {backend.model!r} "
            f"(HTTP {response.status_code}: {error_text(response.content)}); it serves: {', '.join(served)}; "
            "pass one of them with --model"
        )


async def check_request(backend: OpenAIBackend) -> None:
    """Whether the server takes the request every product is sent as, asked with a one-facet answer: a server
    that refuses its shape (a ``response_format`` it does not support, an ``extra_body`` field it rejects, a
    system message its model's template refuses, a model name it does not serve) answered each product with the
    same HTTP 400, and every product became an error record. A client error (4xx but 408 and 429) twice running
    is the setup mistake; any other answer, or none, is left to the requests' retries."""
    httpx = _httpx()
    check = Product(id="tagllm-check", title="check")
    probe = GenerationRequest(check, candidates={}, messages=PROBE_MESSAGES, schema=PROBE_SCHEMA)
    content = json.dumps(backend.request_body(probe), ensure_ascii=True).encode("ascii")
    for _ in range(2):  # a server that refuses the shape refuses it again; a fault at random (a proxy's) does not
        try:
            status, _, raw = await asyncio.wait_for(backend._post(content), backend.timeout)
        except (httpx.HTTPError, TimeoutError, BrokenOutput):
            return
        if not 400 <= status < 500 or status in (408, 429):
            return
    if status in (401, 403):
        refused_key(backend, status, raw, "/chat/completions")
    schema = (
        "structured_outputs (backend_options.server: openai sends response_format)"
        if backend.server == "vllm"
        else "response_format (backend_options.server: vllm sends vLLM's structured_outputs)"
    )
    raise ConfigError(
        f"openai backend: {backend.base_url} refuses the request sent for each product (HTTP {status} at "
        f"/chat/completions: {error_text(raw)}), so every product would fail; change what it refuses: the model "
        f"(--model {backend.model}), the JSON schema, sent as {schema}, or backend_options.extra_body"
    )


def _web_page(response: Any) -> bool:
    """Whether an answer is an HTML page rather than an API's JSON."""
    kind = str(response.headers.get("content-type", "")).lower()
    return "html" in kind or response.content.lstrip()[:1] == b"<"


async def prompt_size(backend: OpenAIBackend, messages: list[dict[str, Any]]) -> PromptSize | None:
    """The size of a prompt against the served model's context (see ``OpenAIBackend.prompt_size``): None where the
    server's /models names no ``max_model_len`` for the model, or where it does not answer."""
    httpx = _httpx()
    check = GenerationRequest(Product(id="tagllm-check", title="check"), candidates={}, messages=messages)
    body = {**backend.request_body(check), "max_tokens": 1, "logprobs": False}
    try:
        listed = read_json((await asyncio.wait_for(backend._http().get("/models"), backend.timeout)).content)
        models = listed.get("data") if isinstance(listed, dict) else None
        served = [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []
        context = next((m.get("max_model_len") for m in served if m.get("id") == backend.model), None)
        if not isinstance(context, int) or isinstance(context, bool) or context < 1:
            return None
        answer = await asyncio.wait_for(backend._http().post("/chat/completions", json=body), backend.timeout)
        data = read_json(answer.content) if answer.status_code == 200 else None
    except (httpx.HTTPError, TimeoutError, BrokenOutput):
        return None  # left to the products' requests, each with its own retries and error
    longer = "start the server with a longer --max-model-len, up to the model's own context"
    said = error_text(answer.content) if answer.status_code == 400 else ""
    if CONTEXT_REFUSAL in said.lower():
        return PromptSize(0, context, backend.max_new_tokens, longer, refused=said)
    usage = data.get("usage") if isinstance(data, dict) else None
    tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0:
        return None
    return PromptSize(tokens, context, backend.max_new_tokens, longer)

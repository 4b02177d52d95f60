"""The openai backend: any OpenAI-compatible chat-completions server (vllm serve, and others), with retries."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Literal, TypeVar

from tagllm.backends.base import (
    ANSWERED,
    Backend,
    Generation,
    GenerationRequest,
    PromptSize,
    check_counts,
    content_parts,
)
from tagllm.backends.chat import DEFAULT_CHAT_TEMPLATE_KWARGS
from tagllm.backends.completion import (
    BrokenOutput,
    CutOutput,
    RefusedOutput,
    error_text,
    parse_completion,
    read_json,
    retry_after_seconds,
    valid_unicode,
)
from tagllm.backends.openai_address import check_base_url, read_api_key
from tagllm.errors import BackendError, ConfigError, RetryableBackendError, missing_dependency
from tagllm.models import RecordError

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
SCHEMA_NAME = "product_tags"
# An answer is a few hundred tokens; with per-token log-probs it is tens of kilobytes. Past this a server is
# sending something else, and reading on would only fill memory.
MAX_RESPONSE_BYTES = 16 * 2**20
_T = TypeVar("_T")


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise missing_dependency("httpx", "openai", "the openai backend") from None
    return httpx


class OpenAIBackend(Backend):
    """Chat completions over HTTP, one request per product, ``concurrency`` in flight at once.

    A product's photos go with it as ``image_url`` content parts holding ``data:`` URLs (a local file's own bytes,
    base64), where the template placed them; ``images=False`` keeps them out for a server whose model reads none.
    The answer is constrained with ``response_format`` (a strict JSON schema); a vLLM server gets its own
    ``structured_outputs`` field instead, which it applies with the same engine as in-process vLLM. ``timeout``
    bounds each attempt as a whole, from connecting to the last byte, so a server that trickles bytes cannot hold
    a request open. Timeouts, connection errors, 429, 5xx and answers that are not a chat completion, do not
    parse or do not fit the schema are retried with exponential backoff and jitter (a server's ``Retry-After`` is
    honoured), except one the server cut at ``max_new_tokens`` (``finish_reason`` "length"); a product that still
    fails gets a failure record and the rest of the batch completes. Whatever a server sends, the outcome is an
    answer or a failure record for that product, never an exception.

    Requests run on an event loop of the backend's own thread, whatever the calling thread has (a notebook's
    loop included). The API key is read from the environment variable ``api_key_env`` and is never logged or
    shown. ``client``, when given, is an ``httpx.AsyncClient`` whose base URL is the server's ``/v1``.
    """

    name = "openai"
    supports_schema = True
    supports_logprobs = True

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        seed: int | None = 0,
        server: Literal["auto", "vllm", "openai"] = "auto",
        logprobs: bool | None = None,
        extra_body: dict[str, Any] | None = None,
        images: bool = True,
        client: Any = None,
    ) -> None:
        if concurrency < 1 or max_retries < 0 or not timeout > 0:
            raise ConfigError("openai backend: concurrency >= 1, max_retries >= 0 and timeout > 0 are required")
        check_counts("openai", max_new_tokens=max_new_tokens)
        if server not in ("auto", "vllm", "openai"):
            raise ConfigError(f"openai backend: server must be auto, vllm or openai, not {server!r}")
        if client is not None and not callable(getattr(client, "aclose", None)):
            raise ConfigError("openai backend: client must be an httpx.AsyncClient")
        self.model = model
        # without the spaces or line end a file it was read from left around it (a Windows .env's "\r")
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.seed = seed
        self.server = server
        self.logprobs = logprobs
        self.extra_body = extra_body or {}
        self.supports_images = images
        self._client = client
        self._owns_client = client is None
        self._sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        # Never the key itself: only where it comes from.
        return f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r}, api_key_env={self.api_key_env!r})"

    def check(self) -> None:
        _httpx()
        if self._client is None:
            read_api_key(self.api_key_env)
            check_base_url(self.base_url)

    # -- connection ------------------------------------------------------------------------------------------
    def _http(self) -> Any:
        """The HTTP client; made on first use, on the backend's event loop."""
        if self._client is None:
            httpx = _httpx()
            headers = {"Content-Type": "application/json"}
            key = read_api_key(self.api_key_env)
            if key:
                headers["Authorization"] = f"Bearer {key}"
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=headers,
                timeout=httpx.Timeout(self.timeout),
                limits=httpx.Limits(max_connections=self.concurrency),
            )
        return self._client

    def _run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coroutine`` on the backend's loop and wait for it; Ctrl-C cancels what is in flight."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="tagllm-openai", daemon=True)
                self._thread.start()
            loop = self._loop
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None:  # never used: nothing was opened
            return
        if self._client is not None and self._owns_client:
            asyncio.run_coroutine_threadsafe(self._client.aclose(), loop).result()
            self._client = None
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join()
        loop.close()

    def load(self) -> None:
        """Nothing listening at the server's address (a wrong --base-url, a server not started) is a setup mistake:
        every product would fail after its retries. So is a listener that gives no HTTP answer at all (one that
        never answers within the timeout, another protocol's service on that port): these escaped as a traceback.
        So is an HTTP server with neither /models nor /chat/completions (``openai_checks.check_chat_route``). A
        server that answers, even with an error, is left to the retries, unless it refuses the request every product
        is sent as (``openai_checks.check_request``). Which model it serves, when none was named, is found here too
        (``openai_checks.discover``): found at the first batch, a server without /models failed every product with
        "pass --model", and in routing mode one serving several models stopped the run part way."""
        from tagllm.backends.openai_checks import check_request, discover, reach

        self._run(reach(self))
        self._run(discover(self))
        self._run(check_request(self))

    def prompt_size(self, messages: list[dict[str, Any]]) -> PromptSize | None:
        """Known only where the server's /models says the model's ``max_model_len`` (a vLLM server's does): the prompt
        is counted by the server, as the ``usage`` of a one-token answer to it sent as a product's request is. A
        prompt longer than the context alone gets no answer but vLLM's HTTP 400 "This model's maximum context length
        is …": that refusal is the size (it was taken for no answer, and the check skipped)."""
        from tagllm.backends.openai_checks import prompt_size

        return self._run(prompt_size(self, messages))

    def request_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The chat-completions body for one product (what ``tagllm prompt render`` would show as sent)."""
        messages = request.messages or []
        if any(not isinstance(m["content"], str) for m in messages):
            image = functools.partial(_image_part, request)
            messages = [{**m, "content": content_parts(m["content"], image)} for m in messages]
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_new_tokens,
            "temperature": self.temperature,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        if self.server == "vllm":
            # as the in-process engines ask the model's chat template: a model that thinks first (Qwen3) under vLLM's
            # reasoning parser is held to the schema only after its thinking, which max_new_tokens cut short
            body["chat_template_kwargs"] = dict(DEFAULT_CHAT_TEMPLATE_KWARGS)
        if request.schema is not None:
            if self.server == "vllm":
                body["structured_outputs"] = {"json": request.schema}
            else:
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": SCHEMA_NAME, "schema": request.schema, "strict": True},
                }
        if self.logprobs or (self.logprobs is None and self.server == "vllm"):
            body["logprobs"] = True
        body.update(self.extra_body)
        return body

    # -- generation ------------------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        if not requests:
            return []
        return self._run(self._generate(requests, ANSWERED.get()))

    async def _generate(
        self, requests: Sequence[GenerationRequest], answered: Callable[[int, int], None] | None = None
    ) -> list[Generation]:
        from tagllm.backends.openai_checks import discover

        await discover(self)
        slots = asyncio.Semaphore(self.concurrency)
        done = 0

        async def one(request: GenerationRequest) -> Generation:
            nonlocal done
            async with slots:
                generation = await self._one(request)
            done += 1
            if answered is not None:
                answered(done, len(requests))
            return generation

        return list(await asyncio.gather(*(one(r) for r in requests)))

    async def _one(self, request: GenerationRequest) -> Generation:
        if not request.messages:
            return Generation(error=RecordError(message="no prompt: the request has no messages"))
        httpx = _httpx()
        # Encoded here, ASCII-only: text that is not valid Unicode (a lone surrogate from an input file) goes as
        # a JSON escape instead of failing to encode.
        content = json.dumps(self.request_body(request), ensure_ascii=True).encode("ascii")
        started = time.perf_counter()
        attempts = self.max_retries + 1
        last_text = ""
        refusals = 0
        for attempt in range(attempts):
            retry_after: float | None = None
            try:
                status, headers, raw = await asyncio.wait_for(self._post(content), self.timeout)
                if status == 429 or status >= 500:
                    retry_after = retry_after_seconds(headers.get("retry-after"))
                    raise RetryableBackendError(f"HTTP {status}: {error_text(raw)}")
                if status >= 300:
                    raise BackendError(f"HTTP {status}: {error_text(raw)}{_photo_hint(request, status)}")
                generation = parse_completion(request, read_json(raw))
                generation.latency_ms = round((time.perf_counter() - started) * 1000, 2)
                return generation
            except (TimeoutError, httpx.TimeoutException):
                # the setting named: "no answer within 60s" left the analyst to find which one bounds it
                error: BackendError = RetryableBackendError(
                    f"no answer within {self.timeout:g}s; a slow server needs a higher backend_options.timeout"
                )
            except httpx.HTTPError as exc:  # refused, reset, a body cut short, a broken protocol or encoding
                error = RetryableBackendError(
                    f"{type(exc).__name__}: {str(exc) or 'the connection was closed or reset'}"
                )
            except CutOutput as exc:  # asked again, the answer is cut again
                last_text = exc.text or last_text
                error = BackendError(
                    f"the answer was cut at max_new_tokens={self.max_new_tokens}; raise backend_options.max_new_tokens"
                )
            except RefusedOutput as exc:
                # the request goes again as it was (the same messages, seed and temperature): a refusal repeated once
                # is the model's answer to it, and the retries left would only be refused alike
                error = RetryableBackendError(str(exc))
                refusals += 1
            except BrokenOutput as exc:
                last_text = exc.text or last_text
                error = RetryableBackendError(str(exc))
            except BackendError as exc:
                error = exc
            if not error.is_retryable or attempt == attempts - 1 or refusals == 2:
                tries = f" (gave up after {_attempts(attempt + 1)})" if error.is_retryable else ""
                return Generation(
                    text=valid_unicode(last_text),
                    latency_ms=round((time.perf_counter() - started) * 1000, 2),
                    error=RecordError(message=valid_unicode(f"{error}{tries}"), is_retryable=error.is_retryable),
                )
            await self._sleep(self._delay(attempt, retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post(self, content: bytes) -> tuple[int, Any, bytes]:
        """Status, headers and body of one attempt; a body over MAX_RESPONSE_BYTES is refused unread."""
        headers = {"Content-Type": "application/json"}
        client = self._http()
        stream = client.stream("POST", "/chat/completions", content=content, headers=headers, timeout=self.timeout)
        async with stream as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise BrokenOutput(f"the response is larger than {MAX_RESPONSE_BYTES:,} bytes", "")
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        # Exponential backoff with "equal jitter": many workers that failed together do not retry together.
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def _image_part(request: GenerationRequest, index: int) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": request.images[index].data_url()}}


def _photo_hint(request: GenerationRequest, status: int) -> str:
    """What to change when a request that showed photos was refused: a server whose model reads no images refuses
    every product with a photo (HTTP 400), and its words ("not a multimodal model") did not say how to send text."""
    parts = [part for m in request.messages or [] if isinstance(m["content"], list) for part in m["content"]]
    if not any(part["type"] == "image" for part in parts) or not 400 <= status < 500:
        return ""
    return (
        "; the request showed the product's photo: if the served model reads no images, set backend_options.images: "
        "false to send text alone"
    )


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"

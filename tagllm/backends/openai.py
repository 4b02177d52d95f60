"""The openai backend: any OpenAI-compatible chat-completions server (vllm serve, and others), with retries."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.backends.confidence import enum_ids, value_confidences
from tagllm.errors import BackendError, ConfigError, RetryableBackendError, missing_dependency
from tagllm.models import RecordError
from tagllm.schema import validate_answer

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
SCHEMA_NAME = "product_tags"


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise missing_dependency("httpx", "openai", "the openai backend") from None
    return httpx


class OpenAIBackend(Backend):
    """Chat completions over HTTP, one request per product, ``concurrency`` in flight at once.

    The answer is constrained with ``response_format`` (a strict JSON schema); a vLLM server gets its own
    ``structured_outputs`` field instead, which it applies with the same engine as in-process vLLM. Timeouts,
    connection errors, 429, 5xx and answers that do not parse or fit the schema are retried with exponential
    backoff and jitter (a server's ``Retry-After`` is honoured); a product that still fails gets a failure
    record
    and the rest of the batch completes. The API key is read from the environment variable ``api_key_env`` and
    is never logged or shown.
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
        client: Any = None,
    ) -> None:
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ConfigError("openai backend: concurrency >= 1, max_retries >= 0 and timeout > 0 are required")
        if server not in ("auto", "vllm", "openai"):
            raise ConfigError(f"openai backend: server must be auto, vllm or openai, not {server!r}")
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
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
        self._client = client
        self._owns_client = client is None
        self._sleep: Callable[[float], None] = time.sleep
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        # Never the key itself: only where it comes from.
        return f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r}, api_key_env={self.api_key_env!r})"

    # -- connection ------------------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                httpx = _httpx()
                headers = {"Content-Type": "application/json"}
                key = os.environ.get(self.api_key_env)
                if key:
                    headers["Authorization"] = f"Bearer {key}"
                self._client = httpx.Client(
                    base_url=self.base_url,
                    headers=headers,
                    timeout=httpx.Timeout(self.timeout),
                    limits=httpx.Limits(max_connections=self.concurrency),
                )
            return self._client

    def close(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def _discover(self) -> None:
        """Ask the server what it is (vLLM says so in ``owned_by``) and, when no model was named, which it serves."""
        if self.server != "auto" and self.model:
            return
        try:
            response = self.client.get("/models")
            response.raise_for_status()
            models = response.json().get("data") or []
        except Exception as exc:  # a server without /models is still usable when model and server are given
            if not self.model:
                raise BackendError(
                    f"openai backend: {self.base_url}/models is not answering ({type(exc).__name__}); "
                    "pass --model with the served model name"
                ) from None
            self.server = "openai"
            return
        if self.server == "auto":
            self.server = "vllm" if any(m.get("owned_by") == "vllm" for m in models) else "openai"
        if not self.model:
            if len(models) != 1:
                names = ", ".join(str(m.get("id")) for m in models) or "none"
                raise ConfigError(f"openai backend: name the model with --model; the server serves: {names}")
            self.model = str(models[0]["id"])

    def request_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The chat-completions body for one product (what ``tagllm prompt render`` would show as sent)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "max_tokens": self.max_new_tokens,
            "temperature": self.temperature,
        }
        if self.seed is not None:
            body["seed"] = self.seed
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
        self._discover()
        if len(requests) == 1 or self.concurrency == 1:
            return [self._one(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests))) as pool:
            return list(pool.map(self._one, requests))

    def _one(self, request: GenerationRequest) -> Generation:
        if not request.messages:
            return Generation(error=RecordError(message="no prompt: the request has no messages"))
        httpx = _httpx()
        body = self.request_body(request)
        started = time.perf_counter()
        attempts = self.max_retries + 1
        last_text = ""
        for attempt in range(attempts):
            retry_after: float | None = None
            try:
                response = self.client.post("/chat/completions", json=body)
                if response.status_code == 429 or response.status_code >= 500:
                    retry_after = _retry_after(response)
                    raise RetryableBackendError(f"HTTP {response.status_code}: {_error_text(response)}")
                if response.status_code >= 400:
                    raise BackendError(f"HTTP {response.status_code}: {_error_text(response)}")
                generation = self._parse(request, response.json())
                last_text = generation.text
                generation.latency_ms = round((time.perf_counter() - started) * 1000, 2)
                return generation
            except httpx.TimeoutException:
                error: BackendError = RetryableBackendError(f"no answer within {self.timeout:g}s")
            except httpx.TransportError as exc:
                error = RetryableBackendError(f"{type(exc).__name__}: {exc}")
            except _BrokenOutput as exc:
                last_text = exc.text
                error = RetryableBackendError(str(exc))
            except BackendError as exc:
                error = exc
            if not error.is_retryable or attempt == attempts - 1:
                tries = f" (gave up after {attempt + 1} attempts)" if error.is_retryable else ""
                return Generation(
                    text=last_text,
                    latency_ms=round((time.perf_counter() - started) * 1000, 2),
                    error=RecordError(message=f"{error}{tries}", is_retryable=error.is_retryable),
                )
            self._sleep(self._delay(attempt, retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        # Exponential backoff with "equal jitter": many workers that failed together do not retry together.
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _parse(self, request: GenerationRequest, data: Any) -> Generation:
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise _BrokenOutput(f"not a chat completion: {json.dumps(data)[:200]}", "") from None
        if request.schema is not None:
            try:
                answer = json.loads(text)
            except ValueError:
                raise _BrokenOutput(f"broken output, not JSON: {text[:200]!r}", text) from None
            problems = validate_answer(request.schema, answer)
            if problems:
                raise _BrokenOutput(f"broken output, off the schema: {'; '.join(problems[:3])}", text)
        usage = data.get("usage") or {}
        confidences = None
        content = (choice.get("logprobs") or {}).get("content") if isinstance(choice, dict) else None
        if content and request.schema is not None:
            spans, logprobs = _logprob_spans(content)
            confidences = value_confidences(text, spans, logprobs, enum_ids(request.schema, request.candidates))
        return Generation(
            text=text,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            confidences=confidences,
        )


class _BrokenOutput(Exception):
    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _error_text(response: Any) -> str:
    try:
        data = response.json()
        message = (data.get("error") or {}).get("message") if isinstance(data.get("error"), dict) else None
        return str(message or data.get("message") or data.get("detail") or data)[:300]
    except ValueError:
        return response.text[:300] or response.reason_phrase


def _logprob_spans(content: list[dict[str, Any]]) -> tuple[list[tuple[int, int]], list[float]]:
    """Character spans and log-probs of the answer's tokens, from the chat-completions ``logprobs.content``."""
    spans: list[tuple[int, int]] = []
    logprobs: list[float] = []
    raw = b""
    previous = 0
    for item in content:
        piece = bytes(item["bytes"]) if item.get("bytes") is not None else str(item.get("token", "")).encode()
        raw += piece
        # A multi-byte character split across tokens counts toward the token that completes it.
        end = len(raw.decode("utf-8", errors="ignore"))
        spans.append((previous, end))
        previous = end
        logprobs.append(float(item.get("logprob", 0.0)))
    return spans, logprobs

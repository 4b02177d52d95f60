"""What an OpenAI-compatible server sent back, read defensively: any body becomes an answer or a clear error."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from tagllm.backends.base import Generation, GenerationRequest
from tagllm.backends.confidence import enum_ids, value_confidences
from tagllm.parsing import strip_fences
from tagllm.schema import validate_answer


def parse_completion(request: GenerationRequest, data: Any) -> Generation:
    """A Generation from a chat completion of any shape; anything unusable raises BrokenOutput (retried)."""
    choices = data.get("choices") if isinstance(data, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise BrokenOutput(f"not a chat completion: {_shown(data)}", "")
    text = _content_text(message.get("content"))
    if text is None:
        raise BrokenOutput(f"the answer's content is not text: {_shown(message.get('content'))}", "")
    if not text and isinstance(message.get("refusal"), str):
        raise RefusedOutput(f"the model refused: {message['refusal'][:200]}", "")
    if request.schema is not None:
        # An answer the server stopped at max_tokens: cut, not broken (the same request is cut again).
        broken = CutOutput if isinstance(choice, dict) and choice.get("finish_reason") == "length" else BrokenOutput
        try:
            answer, text = json_answer(text)
        except (ValueError, RecursionError):
            raise broken(f"broken output, not JSON: {text[:200]!r}", text) from None
        try:
            problems = validate_answer(request.schema, answer)
        except RecursionError:
            problems = ["nested too deep"]
        if problems:
            raise broken(f"broken output, off the schema: {'; '.join(problems[:3])}", text)
    usage = data.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    confidences = None
    spans = _logprob_spans(choice.get("logprobs")) if isinstance(choice, dict) else None
    if spans is not None and request.schema is not None:
        confidences = value_confidences(text, spans[0], spans[1], enum_ids(request.schema, request.candidates))
    return Generation(
        text=text,
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        confidences=confidences,
    )


def json_answer(text: str) -> tuple[Any, str]:
    """The JSON an answer holds, and its text: the whole answer, or the inside of its Markdown code fence (a server
    that ignores ``response_format`` and writes "Here are the tags: ```json {…} ```": it was retried to the same
    fence and failed); a ``ValueError`` for anything else."""
    try:
        return json.loads(text), text
    except ValueError:
        inner = strip_fences(text).strip()
        if inner == text.strip():
            raise
        return json.loads(inner), inner


class BrokenOutput(Exception):
    """An answer that cannot be used (retried); ``text`` is what the model wrote, kept if every try fails."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text


class RefusedOutput(BrokenOutput):
    """An answer that is the model's refusal (``message.refusal``): asked again, the same request is refused alike, so
    it is retried once, not ``max_retries`` times."""


class CutOutput(BrokenOutput):
    """An unusable answer that the server stopped at its token limit (``finish_reason`` "length"): not retried."""


def read_json(raw: bytes) -> Any:
    """A response body as JSON; a body that is not JSON (an HTML error page, a cut-off stream) is broken output."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        text = raw[:200].decode("utf-8", errors="replace")
        raise BrokenOutput(f"the response is not JSON: {text!r}", "") from None


def _content_text(content: Any) -> str | None:
    """The message content as text: a string, or a list of content parts whose text parts are joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) for p in content):
        texts = [p.get("text") for p in content if p.get("type", "text") == "text"]
        if all(isinstance(t, str) for t in texts):
            return "".join(texts)
    return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _shown(value: Any) -> str:
    """The start of a JSON value, for a message."""
    try:
        return valid_unicode(json.dumps(value, ensure_ascii=False)[:200])
    except (ValueError, TypeError, RecursionError):  # nested too deep to print
        return f"a {type(value).__name__} nested too deep to show"


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (a server's "\\ud800" escape decodes to one) replaced, so it can be written."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8")


def retry_after_seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
    return max(0.0, seconds) if seconds is not None and math.isfinite(seconds) else None


def error_text(raw: bytes) -> str:
    """What an error response says: the ``error.message`` of a JSON body of any shape, or the body's text."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        text = raw[:4000].decode("utf-8", errors="replace")
        if text.lstrip().startswith("<"):  # a proxy's HTML error page: its words, not its markup
            text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]*>", " ", text, flags=re.S | re.I)
        return " ".join(text.split())[:300] or "(empty body)"
    message: Any = data
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            error = error.get("message") or error
        message = error or data.get("message") or data.get("detail") or data
    return valid_unicode(message if isinstance(message, str) else _shown(message))[:300]


def _logprob_spans(logprobs: Any) -> tuple[list[tuple[int, int]], list[float]] | None:
    """Character spans and log-probs of the answer's tokens, from the chat-completions ``logprobs.content``.

    None when the server sent log-probs in another shape: the answer stands, without log-prob confidences.
    """
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list) or not content:
        return None
    spans: list[tuple[int, int]] = []
    values: list[float] = []
    raw = b""
    previous = 0
    for item in content:
        if not isinstance(item, dict):
            return None
        piece_bytes, token, logprob = item.get("bytes"), item.get("token"), item.get("logprob")
        if isinstance(piece_bytes, list) and all(isinstance(b, int) and 0 <= b < 256 for b in piece_bytes):
            piece = bytes(piece_bytes)
        elif isinstance(token, str):
            piece = valid_unicode(token).encode("utf-8")
        else:
            return None
        if isinstance(logprob, bool) or not isinstance(logprob, int | float) or not logprob <= 0.0:
            return None
        raw += piece
        # A multi-byte character split across tokens counts toward the token that completes it.
        end = len(raw.decode("utf-8", errors="ignore"))
        spans.append((previous, end))
        previous = end
        values.append(max(float(logprob), -1e4))
    return spans, values

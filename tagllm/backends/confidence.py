"""Per-value confidence from token log-probabilities: which tokens spell a value, and how sure they were."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from tagllm.models import Candidate

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def enum_ids(schema: dict[str, Any] | None, candidates: dict[str, list[Candidate]]) -> dict[str, dict[str, str]]:
    """Facet -> enum string -> value id, read back from the ``answer_schema`` built from these candidates.

    The schema lists one enum string per distinct candidate id, in candidate order, so the two line up; a
    string equal to a candidate's id or name is matched directly, whatever the order.
    """
    out: dict[str, dict[str, str]] = {}
    properties = (schema or {}).get("properties", {})
    for facet, cands in candidates.items():
        prop = properties.get(facet, {})
        enum = prop.get("items", prop).get("enum") or []
        labels = [e for e in enum if isinstance(e, str)]
        first: dict[str, Candidate] = {}
        for c in cands:
            first.setdefault(c.id, c)
        unique = list(first.values())
        by_text = {c.id: c.id for c in unique} | {c.name: c.id for c in unique}
        mapping: dict[str, str] = {}
        aligned = len(labels) == len(unique)
        for i, label in enumerate(labels):
            if label in by_text:
                mapping[label] = by_text[label]
            elif aligned:
                mapping[label] = unique[i].id
        out[facet] = mapping
    return out


def decoded_spans(tokenizer: Any, ids: Sequence[int]) -> list[tuple[int, int]]:
    """Character span of each token in ``decode(ids)``, by decoding growing prefixes.

    Byte-level tokens may hold half a character; decoding prefixes puts each character on the token that
    completes it, where decoding tokens one by one would produce replacement characters.
    """
    spans = []
    previous = 0
    for k in range(1, len(ids) + 1):
        end = len(tokenizer.decode(list(ids[:k]), skip_special_tokens=True))
        spans.append((previous, end))
        previous = end
    return spans


def value_confidences(
    text: str,
    spans: Sequence[tuple[int, int]],
    logprobs: Sequence[float],
    ids: dict[str, dict[str, str]],
) -> dict[str, dict[str, float]] | None:
    """Facet -> value id -> probability the model gave the tokens that spell the chosen value.

    Under a constraint that offers only candidates, the product of the probabilities of a value's tokens is
    the
    probability of choosing that value over the other candidates (once its first tokens make it unique, the
    rest
    cost nothing). ``spans`` are the character spans of the generated tokens in ``text``; ``logprobs`` theirs.
    Returns None when the text is not a JSON object or no value could be located.
    """
    try:
        if not isinstance(json.loads(text), dict):
            return None
    except ValueError:
        return None
    out: dict[str, dict[str, float]] = {}
    facet: str | None = None
    for match in _STRING.finditer(text):
        literal = json.loads(match.group(0))
        rest = text[match.end() :].lstrip()
        if rest.startswith(":"):
            facet = literal
            continue
        if facet is None or facet not in ids:
            continue
        value_id = ids[facet].get(literal)
        if value_id is None:
            continue
        # The tokens that overlap the value's characters inside the quotes (a token may carry the quote too).
        start, end = match.start() + 1, match.end() - 1
        total = sum(lp for (s, e), lp in zip(spans, logprobs, strict=False) if s < end and e > start)
        out.setdefault(facet, {})[value_id] = math.exp(total)
    return out or None

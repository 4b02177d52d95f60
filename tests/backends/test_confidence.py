"""Per-value confidence from token log-probs: which tokens spell which value, and the product of their probabilities."""

from __future__ import annotations

import math

import pytest

from tagllm.backends.confidence import enum_ids, value_confidences
from tagllm.models import Candidate

SCHEMA = {
    "type": "object",
    "properties": {
        "category": {"type": "string", "enum": ["Apparel > Dresses", "Apparel > Bottoms > Skirts"]},
        "color": {"type": "array", "items": {"type": "string", "enum": ["Red", "Pink"]}, "maxItems": 2},
        "audience": {"type": ["string", "null"], "enum": ["Women", None]},
    },
}
CANDIDATES = {
    "category": [Candidate(id="dresses", name="Dresses", score=1), Candidate(id="skirts", name="Skirts", score=1)],
    "color": [Candidate(id="red", name="Red", score=1), Candidate(id="pink", name="Pink", score=1)],
    "audience": [Candidate(id="women", name="Women", score=1)],
}


def test_enum_strings_map_back_to_candidate_ids() -> None:
    assert enum_ids(SCHEMA, CANDIDATES) == {
        "category": {"Apparel > Dresses": "dresses", "Apparel > Bottoms > Skirts": "skirts"},
        "color": {"Red": "red", "Pink": "pink"},
        "audience": {"Women": "women"},
    }


def test_a_value_gets_the_product_of_the_probabilities_of_its_tokens() -> None:
    pieces = ['{"category":"', "Apparel", " > Dresses", '","color":["', "Red", '","', "Pink", '"],"audience":', "null}"]
    logprobs = [0.0, math.log(0.5), math.log(0.8), 0.0, math.log(0.9), 0.0, math.log(0.3), 0.0, 0.0]
    text = "".join(pieces)
    spans, pos = [], 0
    for piece in pieces:
        spans.append((pos, pos + len(piece)))
        pos += len(piece)
    confidences = value_confidences(text, spans, logprobs, enum_ids(SCHEMA, CANDIDATES))
    assert confidences is not None
    assert confidences["category"] == {"dresses": pytest.approx(0.5 * 0.8)}
    assert confidences["color"] == {"red": pytest.approx(0.9), "pink": pytest.approx(0.3)}
    assert "audience" not in confidences  # null: nothing chosen, nothing scored


def test_text_that_is_not_a_json_object_has_no_confidences() -> None:
    assert value_confidences('{"category": "Appar', [(0, 19)], [0.0], enum_ids(SCHEMA, CANDIDATES)) is None

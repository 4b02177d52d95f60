"""Values the normaliser cannot tell apart by their keys alone: a material named as a man-made or imitation one (its
facet's Faux value), and names that differ only in a trailing sign ("SPF 30" and "SPF 30+")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.imitations import imitation_start
from tagllm.mapping.keys import signed, trailing_signs
from tagllm.taxonomy import Facet, Taxonomy, Value


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def shop() -> Taxonomy:
    """Upholstery with imitations of leather and fur, a sole facet without any, and sun protection and rating levels
    told apart by a "+"."""
    upholstery = ["Leather", "Faux leather", "Fur", "Faux fur", "Velvet", "Rubber", "Synthetic", "Polyurethane (PU)"]
    values = [
        *(Value(f"u-{n.lower()}", n, "upholstery") for n in upholstery),
        *(Value(f"s-{n.lower()}", n, "sole") for n in ["Leather", "Rubber", "Cork"]),
        *(Value(f"p-{n.lower()}", n, "sun-protection") for n in ["SPF 15", "SPF 30", "SPF 30+"]),
        *(Value(f"r-{n.lower()}", n, "rating") for n in ["B", "B+", "B++"]),
    ]
    facets = {f: Facet(f, f.replace("-", " ").capitalize()) for f in ("upholstery", "sole", "sun-protection", "rating")}
    return Taxonomy("shop", facets, {v.id: v for v in values})


AMBIGUOUS_B = "ambiguous: 'b' names 3 values (B [r-b]; B+ [r-b+]; B++ [r-b++]); give the full path or the id"
"""A text with no sign of its own decides nothing: a stage may have dropped it."""


def outcome(m: Mapped) -> tuple[str | None, str | None] | str:
    return (m.value.id, m.method) if m.value else str(m.reason)


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("upholstery", "Synthetic Leather", ("u-faux leather", "imitation")),
        ("upholstery", "man-made fur", ("u-faux fur", "imitation")),
        ("upholstery", "Manmade Leathers", ("u-faux leather", "imitation")),
        ("upholstery", "artificial fur", ("u-faux fur", "imitation")),
        ("upholstery", "mock leather", ("u-faux leather", "imitation")),
        ("upholstery", "leather", ("u-leather", "normalized")),  # the plain value stays itself
        ("sun-protection", "spf30+", ("p-spf 30+", "normalized")),
        ("sun-protection", "Spf 30 +", ("p-spf 30+", "normalized")),
        ("rating", "b++", ("r-b++", "normalized")),
        ("rating", "b", AMBIGUOUS_B),
    ],
)
def test_imitations_and_signs(facet: str, text: str, expected: tuple[str, str]) -> None:
    m = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    assert outcome(m.map_one(text, facet)) == expected


def test_a_man_made_material_without_an_imitation_value_is_no_imitation() -> None:
    m = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    # velvet and the sole's leather have no Faux value: the imitation stage leaves them to the stages after it; PU
    # is a value of the upholstery facet: what the imitation is made of
    plain = [("synthetic velvet", "upholstery"), ("synthetic leather", "sole"), ("PU leather", "upholstery")]
    for text, facet in plain:
        assert m.map_one(text, facet).method != "imitation"


def test_the_imitation_opens_the_string() -> None:
    assert imitation_start(["synthetic", "leather"]) == 1
    assert imitation_start(["man", "made", "fur", "trim"]) == 2
    assert imitation_start(["vegan", "leather"]) == 1
    assert imitation_start(["red", "synthetic", "leather"]) is None  # a word before it: not this stage's reading
    assert imitation_start(["synthetic"]) is None  # nothing after it to be the imitation of


def test_the_text_s_own_trailing_sign_decides() -> None:
    names = {"a": "SPF 30", "b": "SPF 30+"}
    assert trailing_signs("SPF30+ ") == "+"
    assert signed("spf30+", names) == "b"
    assert signed("spf 30", names) is None  # no sign: it may have been dropped before
    assert signed("spf30++", names) is None  # neither ends as the text does
    assert signed("x+", {"a": "Lace", "b": "Laces+"}) is None  # the names differ by more than a sign

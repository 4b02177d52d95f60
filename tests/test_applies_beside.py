"""A stated value the chosen category's kind of the facet lacks, where a category beside it lists the value."""

from __future__ import annotations

import numpy as np

from tagllm.candidates.applies import beside_weights
from tagllm.models import Candidate
from tagllm.taxonomy import CATEGORY, Facet, Taxonomy, Value


def _taxonomy() -> Taxonomy:
    """Mugs list a drinkware material with no Copper, shot glasses beside them the material Copper; candles, under
    another parent, a candle material (waxes): Shopify's way of listing a category's material under one kind."""
    facets = {
        CATEGORY: Facet(CATEGORY, "Category", hierarchical=True, required=True),
        "material": Facet("material", "Material", categories=frozenset({"shot-glasses"})),
        "drinkware-material": Facet("drinkware-material", "Drinkware material", categories=frozenset({"mugs"})),
        "candle-material": Facet("candle-material", "Candle material", categories=frozenset({"candles"})),
    }
    values = [
        Value("drinkware", "Drinkware", CATEGORY, path="Drinkware"),
        Value("mugs", "Mugs", CATEGORY, parent_id="drinkware", path="Drinkware > Mugs"),
        Value("shot-glasses", "Shot Glasses", CATEGORY, parent_id="drinkware", path="Drinkware > Shot Glasses"),
        Value("decor", "Decor", CATEGORY, path="Decor"),
        Value("candles", "Candles", CATEGORY, parent_id="decor", path="Decor > Candles"),
        *(Value(f"m-{n.lower()}", n, "material") for n in ("Copper", "Cotton", "Glass", "Wax")),
        *(Value(f"d-{n.lower()}", n, "drinkware-material") for n in ("Glass", "Ceramic", "Plastic")),
        *(Value(f"c-{n.lower()}", n, "candle-material") for n in ("Wax", "Soy wax", "Beeswax")),
    ]
    return Taxonomy("beside", facets, {v.id: v for v in values})


def test_a_stated_value_a_category_beside_the_chosen_one_lists_is_weighed_to_its_probability() -> None:
    tax = _taxonomy()
    ids = [v.id for v in tax.facet_values("material")]
    mugs, candles = Candidate(id="mugs", name="Mugs", score=0.6), Candidate(id="candles", name="Candles", score=0.6)
    categories = [[mugs], [candles], [mugs], [mugs]]
    rows = np.arange(4)
    values = np.array([ids.index(v) for v in ("m-copper", "m-cotton", "m-copper", "m-glass")])
    beside = np.array([0.85, 0.85, 0.0, 0.85])  # the third product's text states no Copper
    weights = np.array([0.0, 0.0, 0.0, 1.0])  # Glass applies to mugs through their drinkware material
    out = beside_weights(tax, "material", ids, categories, rows, values, beside, np.full(4, 0.95), weights)
    # Copper Mugs: shot glasses beside them take Copper; Cotton for a candle: no category beside candles takes it
    assert out.tolist() == [0.85 / 0.95, 0.0, 0.0, 1.0]

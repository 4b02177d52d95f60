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


def _with_tumblers() -> Taxonomy:
    """The taxonomy above, with tumblers beside mugs listing no material at all, and a colour only shot glasses
    list."""
    tax = _taxonomy()
    facets = {**tax.facets, "color": Facet("color", "Color", categories=frozenset({"shot-glasses"}))}
    values = {
        **tax.values,
        "tumblers": Value("tumblers", "Tumblers", CATEGORY, parent_id="drinkware", path="Drinkware > Tumblers"),
        "red": Value("red", "Red", "color"),
    }
    return Taxonomy("beside", facets, values)


def test_a_material_holds_where_the_category_lists_none_and_one_beside_it_lists_it_but_no_colour_does() -> None:
    tax = _with_tumblers()
    tumblers = [Candidate(id="tumblers", name="Tumblers", score=0.6)]
    materials = [v.id for v in tax.facet_values("material")]
    one = np.zeros(1, dtype=np.int64)
    given, beside = np.full(1, 0.95), np.full(1, 0.85)
    copper = np.array([materials.index("m-copper")])
    out = beside_weights(tax, "material", materials, [tumblers], one, copper, beside, given, np.zeros(1))
    assert out.tolist() == [0.85 / 0.95]  # "Copper Tumbler": shot glasses beside it take Copper
    # "Red Tumbler": a colour the category lists no facet for is left to the text alone
    out = beside_weights(tax, "color", ["red"], [tumblers], one, np.zeros(1, np.int64), beside, given, np.zeros(1))
    assert out.tolist() == [0.0]


def test_a_material_listed_a_level_apart_holds_but_not_one_listed_only_under_another_branch() -> None:
    """Shopify files a product's neighbours a level apart as often as side by side: table knives under flatware
    list Copper, mugs under drinkware (both tableware) do not; candles under decor are another branch."""
    tax = _taxonomy()
    facets = {**tax.facets, "material": Facet("material", "Material", categories=frozenset({"table-knives"}))}
    values = {
        **tax.values,
        "tableware": Value("tableware", "Tableware", CATEGORY, path="Tableware"),
        "drinkware": Value("drinkware", "Drinkware", CATEGORY, parent_id="tableware", path="Tableware > Drinkware"),
        "flatware": Value("flatware", "Flatware", CATEGORY, parent_id="tableware", path="Tableware > Flatware"),
        "table-knives": Value(
            "table-knives", "Table Knives", CATEGORY, parent_id="flatware", path="Tableware > Flatware > Table Knives"
        ),
    }
    tax = Taxonomy("beside", facets, values)
    ids = [v.id for v in tax.facet_values("material")]
    mugs, candles = Candidate(id="mugs", name="Mugs", score=0.6), Candidate(id="candles", name="Candles", score=0.6)
    copper = np.array([ids.index("m-copper")] * 2)
    out = beside_weights(
        tax, "material", ids, [[mugs], [candles]], np.arange(2), copper, np.full(2, 0.85), np.full(2, 0.95),
        np.zeros(2),
    )  # fmt: skip
    assert out.tolist() == [0.85 / 0.95, 0.0]  # "Copper Mug": yes; "Copper Candle Holder" filed as candles: no


def test_shopify_with_no_examples_reads_a_material_its_categorys_neighbours_list_but_not_one_in_the_plural(
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    """Shopify lists no material for hammocks, sleeping bags, golf clubs or the category "Glass" a title about
    glasses lands on; categories beside each list one. A material stated there comes out at 0.75
    (``UNLISTED_BESIDE_PROBABILITY``), but not one named only in the plural: "Irons" and "Glasses" are the products."""
    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import load_taxonomy

    tax = load_taxonomy("shopify")
    tagger = Tagger(tax, embedder=embedder, config=TaggerConfig(taxonomy="shopify", facets=["category", "material"]))
    titles = [
        "Ultralight Camping Hammock in Ripstop Nylon, Olive",
        "Mummy Sleeping Bag, Polyester Shell, Green",
        "Golf Irons Set 5-PW, Right Handed",
        "Half Rim Reading Glasses, Black",
    ]
    results = tagger.tag([{"id": str(i), "title": title} for i, title in enumerate(titles)])
    chosen = [r.best("category") for r in results]
    assert [c.name for c in chosen] == ["Camping Hammocks", "Sleeping Bags", "Golf", "Glass"]
    assert not any(tax.applies("material", c.id) for c in chosen)
    materials = [[(t.name, t.confidence) for t in r.tags.get("material", [])] for r in results]
    assert materials == [[("Nylon", 0.75)], [("Polyester", 0.75)], [], []]


def test_a_value_the_chosen_category_lists_holds_at_least_at_beside_where_its_likely_share_weighs_it_down() -> None:
    """ "Glass Tumbler" on shot glasses (which list Glass through their material) with candles as likely: the likely
    share halves its weight, yet the chosen category taking Glass says no less than a neighbour taking it."""
    tax = _taxonomy()
    ids = [v.id for v in tax.facet_values("material")]
    shots, candles = (
        Candidate(id="shot-glasses", name="Shot Glasses", score=0.5),
        Candidate(id="candles", name="Candles", score=0.5),
    )
    glass = np.array([ids.index("m-glass")] * 2)
    weights = np.array([0.5, 0.5])  # the likely share: half the likely categories' probability lists Glass
    beside = np.array([0.85, 0.0])  # the second product's text does not state it (or states it by a kind)
    out = beside_weights(
        tax, "material", ids, [[shots, candles]] * 2, np.arange(2), glass, beside, np.full(2, 0.95), weights
    )
    assert out.tolist() == [0.85 / 0.95, 0.5]

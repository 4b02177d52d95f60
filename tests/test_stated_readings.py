"""The stated finder's readings of colours and materials where the text writes them beside other words: a colour set
apart from a part's by "with", a colour before a pattern's name or a material's, colours counted or assorted, a
material word that ends a compound naming something else, a kind of a material named by its general value."""

from __future__ import annotations

from tagllm.candidates.stated import StatedFinder
from tagllm.candidates.stated.materials import kind_phrases
from tagllm.taxonomy import CATEGORY, Facet, Taxonomy, Value
from tagllm.text import normalize

COLOURS = ("Red", "Green", "Blue", "Purple", "Brown", "Black", "White", "Gray", "Multicolor")
MATERIALS = ("Velvet", "Silk", "Wood", "Wool", "Cotton", "Stone", "Leather", "Ceramic", "Metal", "Polyurethane (PU)")


def _taxonomy() -> Taxonomy:
    """Eight colours and Multicolor (no Burgundy, Emerald or Charcoal among them), ten materials (no Silver, no
    Iron, no Porcelain; Polyurethane with its code in parentheses), categories named Olives, Skirts, Rings and Pads."""
    facets = {
        CATEGORY: Facet(CATEGORY, "Category", hierarchical=True, required=True),
        "color": Facet("color", "Color", multi_valued=True),
        "material": Facet("material", "Material", multi_valued=True),
    }
    values = [
        Value("olives", "Olives", CATEGORY, path="Olives"),
        Value("skirts", "Skirts", CATEGORY, path="Skirts"),
        Value("rings", "Rings", CATEGORY, path="Rings"),
        Value("pads", "Cleaning Pads", CATEGORY, path="Cleaning Pads"),
        *(Value(c.lower(), c, "color") for c in COLOURS),
        *(Value(f"m-{m.lower()}", m, "material") for m in MATERIALS),
    ]
    return Taxonomy("readings", facets, {v.id: v for v in values})


def _stated(facet: str, title: str) -> list[tuple[str, str]]:
    tax = _taxonomy()
    ids = [v.id for v in tax.facet_values(facet)]
    finder = StatedFinder(tax, facet, {vid: i for i, vid in enumerate(ids)})
    return [(ids[s.value], s.how) for s in finder(normalize(title), title)]


def test_the_colour_before_with_is_set_apart_from_the_parts_colour_after_it() -> None:
    assert _stated("color", "Leather Belt for Men, Black with Gray Buckle, 35mm") == [
        ("black", "sole on its own"),
        ("gray", "shared"),
    ]
    # "with" inside the product's words sets no colour apart
    assert _stated("color", "Black Dress with White Collar") == [("black", "shared"), ("white", "shared")]


def test_a_shade_before_the_name_of_a_pattern_of_colours_is_a_colour_but_not_before_a_motif() -> None:
    assert _stated("color", "Men's Silk Tie, Burgundy Paisley") == [("red", "sole, by a shade")]
    assert _stated("color", "Stoneware Plates, Reactive Glaze, Speckled Lilac") == [("purple", "sole, by a shade")]
    assert _stated("color", "Cushion Cover, Olive Print") == []  # a picture of olives


def test_a_shade_before_a_materials_name_is_its_colour_unless_it_names_the_materials_source() -> None:
    assert _stated("color", "Emerald Velvet Midi Skirt") == [("green", "sole, by a shade")]
    assert _stated("color", "Charcoal Wool Beanie Hat") == [("gray", "sole, by a shade")]
    assert _stated("color", "Mulberry Silk Pillowcase") == []  # the silkworm's tree
    assert _stated("color", "Olive Wood Chopping Board") == []
    assert _stated("color", "Emerald Pendant Necklace") == []  # before no material: perhaps the stone


def test_a_shade_naming_a_material_in_its_natural_state_is_no_hue() -> None:
    """A pine is a green where it names a colour; beside "natural", where another word of the text names its
    material too, it names the wood's own look (a kind of wood, ``lexicon.material_kinds``)."""
    assert _stated("color", "Wooden Dolls House Furniture Set, Natural Pine") == []
    assert _stated("color", "Solid Pine Bunk Bed, Pine Natural") == []
    assert _stated("color", "Teak Side Table, Natural Pine") == []  # teak: wood too
    # no other word names its material: "natural" is the shade's modifier (hair dye, lenses, trousers)
    assert _stated("color", "Permanent Hair Dye, Natural Chestnut") == [("brown", "sole, by a shade")]
    assert _stated("color", "Cargo Trousers, Natural Olive") == [("green", "sole, by a shade")]
    assert _stated("color", "Shirt Dress, Pine") == [("green", "sole, by a shade")]  # no word of its natural state
    assert _stated("color", "Shirt Dress, Natural Burgundy") == [("red", "sole, by a shade")]  # no material


def test_a_shade_and_a_hue_after_it_are_one_colour_the_hues() -> None:
    assert _stated("color", "Harris Tweed Waistcoat, Slate Blue Check") == [("blue", "sole")]


def test_a_material_word_ending_a_compound_that_names_something_else_is_no_material() -> None:
    # steel wool is of steel, no wool (the fixture has Metal since the kinds' tests need it)
    assert _stated("material", "Grade 0000 Steel Wool Pads, 8 Pack") == [("m-metal", "sole, by a kind")]
    assert _stated("material", "Cotton Wool Balls, 100 Pack") == [("m-cotton", "sole")]
    assert _stated("material", "Mineral Wool Insulation Roll") == []
    assert _stated("material", "Merino Wool Jumper") == [("m-wool", "sole")]


def test_colours_counted_or_assorted_state_the_value_for_many_colours() -> None:
    many = [("multicolor", "many colours")]
    assert _stated("color", "Whiteboard Markers, Assorted Colours, Pack of 8") == many
    assert _stated("color", "Air Dry Modelling Clay 24 Colours for Kids") == many
    assert _stated("color", "Wooden Rainbow Stacking Toy, 7 Pieces") == many
    assert _stated("color", "Multi-Coloured Beach Towel") == many
    assert _stated("color", "Floral Wrap Dress, Multicolor") == [("multicolor", "sole")]  # the value's own name
    assert _stated("color", "White Board Markers, Assorted Colours") == [
        ("white", "shared"),
        ("multicolor", "many colours"),
    ]
    assert _stated("color", "Colouring Book for Kids") == []


def test_a_colour_written_apart_is_stated_outright_as_a_material_written_apart_is() -> None:
    """Outright, it holds where the product's best category lists no colour (``UNLISTED_PROBABILITY``)."""
    tax = _taxonomy()
    ids = [v.id for v in tax.facet_values("color")]
    finder = StatedFinder(tax, "color", {vid: i for i, vid in enumerate(ids)})

    def outright(title: str) -> list[tuple[str, bool]]:
        return [(ids[s.value], s.written_apart) for s in finder(normalize(title), title)]

    assert outright("Crinkle Cat Tunnel Collapsible, Gray") == [("gray", True)]
    assert outright("Collapsible Cat Tunnel (Colour: Gray & Red)") == [("red", True), ("gray", True)]
    assert outright("Gray Cat Tunnel") == [("gray", False)]  # in the product's words: it may name a kind or a part


def test_a_kind_of_a_material_used_as_one_states_the_general_value_the_facet_has() -> None:
    assert _stated("material", "Teak Garden Bench, 3 Seater") == [("m-wood", "sole, by a kind")]
    assert _stated("material", "Garden Bench in Teak") == [("m-wood", "sole, by a kind")]
    assert _stated("material", "Ladies Sheepskin Slipper Boots, Chestnut") == [("m-leather", "sole, by a kind")]
    assert _stated("material", "Roasted Walnut") == []  # the kind names the product itself
    assert _stated("material", "White Oak Effect Bookcase") == []  # an imitation of the wood
    assert _stated("material", "Teak Bench with Cotton Cushion") == [("m-cotton", "sole")]  # a value named outright
    assert _stated("material", "Pine Bedside Table, 2 Drawers") == [("m-wood", "sole, by a kind")]
    assert _stated("material", "Pine Green Bedside Table") == []  # a colour's name: read only before a product word
    assert _stated("material", "Shirt Dress, Pine") == []


def test_a_kind_ending_the_words_after_the_products_noun_is_its_material() -> None:
    assert _stated("material", "Birthstone Ring Sterling Silver - Gift") == [("m-metal", "sole, by a kind")]
    assert _stated("material", "Ring Galvanised Iron") == [("m-metal", "sole, by a kind")]  # British -ise
    assert _stated("material", "Roasted Walnut") == []  # no product's noun before: the walnut is the product
    assert _stated("material", "Wool Cleaning Pads") == [("m-wool", "sole")]  # "pad" names the product itself


def test_a_ware_of_a_material_states_that_material() -> None:
    assert _stated("material", "Stoneware Dinner Plates Set of 4") == [("m-ceramic", "sole, by a kind")]
    assert _stated("material", "Terracotta Plant Pot with Saucer") == [("m-ceramic", "sole, by a kind")]
    assert _stated("material", "Mug, Porcelain, 11oz") == [("m-ceramic", "sole, by a kind")]
    assert _stated("material", "Fine Bone China Mug") == [("m-ceramic", "sole, by a kind")]
    assert _stated("material", "Greetings Card, Blank Inside") == []  # a card's first sense is no ware nor paper


def test_a_word_naming_an_artifact_made_of_itself_states_its_material_sense() -> None:
    """WordNet's first "slate" is a writing tablet made of slate, its second a roofing material below no material:
    the rock, a stone, is read past both."""
    assert _stated("material", "Slate Coasters Set of 4") == [("m-stone", "sole, by a kind")]
    assert _stated("material", "Slate Cheese Board with Chalk Pen") == [("m-stone", "sole, by a kind")]
    assert _stated("material", "Tweed Jacket, Slate Blue") == []  # the colour's name, read as a material only


def test_a_fineness_in_karats_names_the_metal_after_it() -> None:
    """Gold's first senses are its coins and its colour; after "14K" or "9ct" it is the metal (WordNet's substance
    sense, ``lexicon.alloyed_metals``), read as the facet's Metal; a gem's carat names none."""
    assert _stated("material", "Women's 9ct Yellow Gold Ball Stud Earrings") == [("m-metal", "sole, by a kind")]
    assert _stated("material", "14K Solid Gold Initial Ring") == [("m-metal", "sole, by a kind")]
    assert _stated("material", "22 Carat Gold Bangle") == [("m-metal", "sole, by a kind")]
    assert _stated("material", "Gold Glitter Party Plates") == []  # no fineness: the colour
    assert _stated("material", "1ct Lab Grown Diamond Solitaire Pendant") == []
    assert _stated("material", "18ct Gold Plated Hoops with Leather Cord") == [("m-leather", "sole")]


def test_a_resolution_or_a_product_between_karats_and_gold_names_no_metal() -> None:
    """No gold is hallmarked under 8 karats: "4K" is a video's resolution; and words that are no colour or purity
    between a fineness and "gold" part them ("8K HDMI Cable Gold Plated": gold-plated connectors, no gold cable)."""
    assert _stated("material", "4K HDMI Cable Gold Plated Connectors, 2m") == []
    assert _stated("material", "4K Gold Frame Monitor") == []
    assert _stated("material", "8K HDMI Cable Gold Plated") == []
    assert _stated("material", "9ct Rose Gold Heart Locket") == [("m-metal", "sole, by a kind")]


def test_a_kind_reads_as_the_narrowest_value_the_facet_has_for_it() -> None:
    values = [Value("wood", "Wood", "material"), Value("oak", "Oak wood", "material"), Value("metal", "Metal", "m")]
    found = dict(kind_phrases(values, {"wood": 0, "oak": 1, "metal": 2}))
    assert (found["oak"], found["teak"], found["titanium"], found["sterling silver"]) == (1, 0, 2, 2)


def test_a_shade_naming_things_ending_the_words_before_a_pattern_of_colours_is_a_colour() -> None:
    assert _stated("color", "Maxi Skirt Olive Check") == [("green", "sole, by a shade")]
    assert _stated("color", "Maxi Skirt Olive") == []  # ending the words: as often the product's noun
    assert _stated("color", "Maxi Skirt Olive Print") == []  # a picture of olives


def _fibres_stated(title: str) -> list[tuple[str, str]]:
    """What a material facet of fibres (Shopify's names: Lycra, not Elastane; both Viscose and Rayon) states."""
    names = ("Cotton", "Polyester", "Lycra", "Nylon", "Viscose", "Rayon", "Lyocell")
    facets = {"material": Facet("material", "Material", multi_valued=True)}
    values = {n.lower(): Value(n.lower(), n, "material") for n in names}
    finder = StatedFinder(Taxonomy("fibres", facets, values), "material", {n.lower(): i for i, n in enumerate(names)})
    return [(names[s.value].lower(), s.how) for s in finder(normalize(title), title)]


def test_a_fibre_by_its_other_generic_or_trade_name_states_the_facets_value_for_it() -> None:
    assert _fibres_stated("Sports Bra, Nylon Spandex, Black") == [
        ("lycra", "one of several"),
        ("nylon", "one of several"),
    ]
    assert _fibres_stated("Pea Coat, 70% Wool 30% Polyamide") == [("nylon", "sole")]  # the facet has no Wool
    assert _fibres_stated("Tencel Jumpsuit with Tie Waist") == [("lyocell", "sole")]
    assert _fibres_stated("Pillowcases, Bamboo Viscose") == [("viscose", "sole")]  # a value of its own name


def test_the_main_fibre_of_a_composition_is_stated_as_the_sole_material() -> None:
    assert _fibres_stated("Wrap Dress, 95% Viscose 5% Elastane") == [("lycra", "one of several"), ("viscose", "sole")]
    assert _fibres_stated("Hoodie, 80% Cotton 20% Recycled Polyester") == [
        ("cotton", "sole"), ("polyester", "one of several"),
    ]  # fmt: skip
    assert _fibres_stated("Hoodie 50% Cotton 50% Polyester") == [
        ("cotton", "one of several"),
        ("polyester", "one of several"),
    ]
    # a value named outside the composition may be the product's too: no main fibre then
    assert _fibres_stated("Nylon Strap Watch, 95% Cotton 5% Elastane") == [
        ("cotton", "one of several"), ("lycra", "one of several"), ("nylon", "one of several"),
    ]  # fmt: skip


def test_a_material_named_for_its_feel_is_no_material_of_the_product() -> None:
    assert _fibres_stated("Cotton-Feel Polyester Fitted Sheet, Double") == [("polyester", "sole")]
    assert _fibres_stated("Polyester Fitted Sheet, Cotton Feel") == [("polyester", "sole")]


def test_a_material_named_as_a_surfaces_look_is_no_material_of_the_product() -> None:
    assert _stated("material", "Metal Shelf Unit, Wood Finish") == [("m-metal", "sole")]
    assert _stated("material", "Frying Pan with Ceramic Coating") == []
    assert _stated("material", "Wood Shelf Unit") == [("m-wood", "sole")]


def test_a_materials_code_in_its_name_is_read_where_the_text_writes_it_in_capitals() -> None:
    pu = "m-polyurethane (pu)"
    assert _stated("material", "Size 5 Training Football, Machine Stitched PU, White/Black") == [(pu, "sole")]
    # leather after "PU" is an imitation of it, not Leather
    assert _stated("material", "Boxing Gloves, PU Leather, Red") == [(pu, "sole")]
    assert _stated("material", "Pu Erh Tea Cake, 357g") == []  # not written as a code
    assert _stated("material", "Cleaning Set, 10 PU Sponges") == []  # after a number: a count of pieces


def test_white_after_a_lights_colour_temperature_is_no_colour_of_the_product() -> None:
    assert _stated("color", "Solar Fence Lights Outdoor 8 Pack, Warm White LED") == []
    assert _stated("color", "Hanging Solar Lanterns, Warm White LED, Black Metal") == [("black", "sole")]
    assert _stated("color", "Cool White Bulbs, 4 Pack") == []


def test_a_colour_before_a_word_naming_light_is_the_lights_colour() -> None:
    assert _stated("color", "Blue Light Blocking Glasses, Unisex, Black Frame") == [("black", "sole")]
    assert _stated("color", "Cross Line Laser Level, Green Beam 30m") == []
    assert _stated("color", "1.7L Glass Electric Kettle with Blue LED") == []


def test_a_colour_word_held_to_another_by_a_joiner_with_no_space_is_part_of_a_name() -> None:
    assert _stated("color", "BLACK+DECKER 18V Cordless Drill Driver with 2 Batteries") == []
    assert _stated("color", "BLACK+DECKER 18V Cordless Hedge Trimmer, Green") == [("green", "sole")]
    # two colours so held together are still listed
    assert _stated("color", "Mug, Black&White") == [("black", "listed"), ("white", "listed")]


def test_a_composition_written_name_first_states_its_main_fibre_as_the_sole_material() -> None:
    assert _fibres_stated("Slim T-Shirt, Cotton 95% Elastane 5%") == [("cotton", "sole"), ("lycra", "one of several")]
    assert _fibres_stated("Chinos Cotton 60% / Recycled Polyester 40%") == [
        ("cotton", "sole"), ("polyester", "one of several"),
    ]  # fmt: skip
    assert _fibres_stated("Hoodie, Cotton 50% Polyester 50%") == [
        ("cotton", "one of several"),
        ("polyester", "one of several"),
    ]


def _named_stated(names: tuple[str, ...], title: str) -> list[tuple[str, str]]:
    """What a material facet of the ``names`` states in ``title``."""
    facets = {"material": Facet("material", "Material", multi_valued=True)}
    values = {n.lower(): Value(n.lower(), n, "material") for n in names}
    finder = StatedFinder(Taxonomy("pairs", facets, values), "material", {n.lower(): i for i, n in enumerate(names)})
    return [(names[s.value].lower(), s.how) for s in finder(normalize(title), title)]


def test_a_material_word_before_another_naming_a_kind_of_it_only_qualifies_that_material() -> None:
    # carbon steel is a kind of steel (WordNet): the facet's value for steel, not Carbon
    assert _named_stated(("Carbon", "Metal", "Wood"), "Carbon Steel Wok 14 Inch") == [("metal", "sole, by a kind")]
    assert _named_stated(("Carbon", "Steel", "Wood"), "Carbon Steel Wok 14 Inch") == [("steel", "sole")]
    assert _named_stated(("Carbon", "Metal", "Wood"), "Carbon Steel Wok with Wooden Handle") == [
        ("metal", "one of several"),
        ("wood", "one of several"),
    ]
    # carbon fibre is no kind of a material named after it
    assert _named_stated(("Carbon", "Metal", "Wood"), "Carbon Fibre Bike Frame") == [("carbon", "sole")]

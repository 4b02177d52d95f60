"""``map_texts`` (what ``tagllm taxonomy map`` prints): a string is taken as written when a name maps it; a wrapped
one placed only by a guess is read as an answer, and that answer wins when it maps by a more faithful method."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tagllm.mapping.base import Mapped, MappedAnswer
from tagllm.mapping.cells import looks_wrapped, map_texts
from tagllm.models import MappingInfo
from tagllm.taxonomy import Value

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

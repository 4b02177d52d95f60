"""What the mapping stages share: one string's outcome, the batch they work on, and the stage protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagllm.models import MappingInfo, Rejection
from tagllm.taxonomy import Value

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

METHODS = (
    "id",
    "exact",
    "normalized",
    "synonym",
    "alias",
    "derived",
    "privative",
    "translation",
    "zh_head",
    "zh_cell",
    "cup",
    "foreign_path",
    "colour",
    "lexical",
    "swap",
    "name_part",
    "lead",
    "modifier",
    "spelling",
    "colour_code",
    "paraphrase",
    "spec",
    "clip",
    "fuzzy",
    "embedding",
    "gloss",
    "llm",
)
"""How a value was found, most faithful first; reports group mapped tags by these."""
METHOD_RANK = {m: i for i, m in enumerate(METHODS)}


@dataclass(frozen=True, slots=True)
class Mapped:
    """One string's outcome: a taxonomy value with how it was found, or the reason it was rejected."""

    text: str
    facet: str | None
    value: Value | None
    method: str | None
    score: float
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass
class MappedAnswer:
    """A whole raw model answer, parsed and mapped, facet rules applied."""

    tags: dict[str, list[tuple[Value, MappingInfo]]]
    rejected: list[Rejection]
    parsed: Any
    raw_strings: int
    off_taxonomy: int


@dataclass
class Outcome:
    """A mapping with what a stage saw besides: a value of another facet, or the values a string was torn between."""

    mapped: Mapped
    elsewhere: Value | None = None
    candidates: tuple[str, ...] = ()  # the values an ambiguous or too distant string was torn between
    method: str | None = None  # the stage that found the candidates
    others: tuple[str, ...] = ()  # the values of other facets a string names, when it names none of this one


@dataclass
class Batch:
    """The distinct strings of one facet on their way through the stages.

    ``clean`` is what the stages read (trimmed, zero-width characters dropped); ``done`` holds each decided string's
    outcome; ``elsewhere`` the strings a lookup stage found only in other facets (only fuzzy may still place them
    in this facet; else that finding is their outcome).
    """

    facet: str | None
    texts: list[str]
    clean: dict[str, str] = field(default_factory=dict)
    done: dict[str, Outcome] = field(default_factory=dict)
    elsewhere: dict[str, Outcome] = field(default_factory=dict)
    candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)  # open strings' nearest values, best first
    best: dict[str, float] = field(default_factory=dict)  # open strings' best similarity so far (for the reason)
    vetoed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # what a rule proposed and a check overruled

    def open(self) -> list[str]:
        """Strings no stage has decided yet."""
        return [t for t in self.texts if t not in self.done]

    def fresh(self) -> list[str]:
        """Open strings that no lookup stage found anywhere (the ones the semantic stages work on)."""
        return [t for t in self.texts if t not in self.done and t not in self.elsewhere]

    def text(self, raw: str) -> str:
        return self.clean.get(raw, raw)


class Stage:
    """One step of the chain: reads the batch's open strings and decides those it can (accept or reject)."""

    name = "stage"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper

    def run(self, batch: Batch) -> None:
        raise NotImplementedError


class FlatStage(Stage):
    """A stage that reads only a flat facet's strings: ``run_flat`` is called with the facet, never for a hierarchical
    facet or a batch of no facet."""

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        if facet is None or self.m.taxonomy.facets[facet].hierarchical:
            return
        self.run_flat(batch, facet)

    def run_flat(self, batch: Batch, facet: str) -> None:
        raise NotImplementedError


class TreeStage(Stage):
    """A stage that reads only a hierarchical facet's strings: ``run_tree`` is called with the facet, never for a flat
    facet or a batch of no facet."""

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        if facet is None or not self.m.taxonomy.facets[facet].hierarchical:
            return
        self.run_tree(batch, facet)

    def run_tree(self, batch: Batch, facet: str) -> None:
        raise NotImplementedError


def strength(info: MappingInfo) -> tuple[int, float]:
    return (-METHOD_RANK.get(info.method, len(METHODS)), info.score)

"""The imitation stage: in a facet of materials, a material's name after words that make it man-made or an imitation
("Synthetic Leather", "Man-made fur", "imitation leather") is the facet's imitation value (Faux leather, Faux fur),
never the material: the same reading the stated-values finder gives a title (``candidates.stated.mentions.imitation``),
from the same word classes and the same pairing of a value with its imitation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tagllm.candidates.stated.materials import imitations
from tagllm.candidates.stated.segments import IMITATION_BEFORE, made_as_imitation
from tagllm.mapping.base import Batch, FlatStage, Stage
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MAX_OPENING = 2
"""The longest opening read as the imitation's words ("man made")."""


def imitation_start(words: list[str]) -> int | None:
    """Where a value's name starts in ``words`` after an opening that makes it an imitation: one of the finder's
    imitation words ("faux", "vegan", ``segments.IMITATION_BEFORE``) or a word naming a man-made kind ("synthetic",
    "man made", ``segments.made_as_imitation``) and nothing else before it; None when the string opens otherwise."""
    for start in range(1, min(MAX_OPENING, len(words) - 1) + 1):
        opening = words[:start]
        if start == 1 and opening[0] in IMITATION_BEFORE:
            return start
        if made_as_imitation(opening, start) and not made_as_imitation(opening[1:], start - 1):
            return start
    return None


class ImitationStage(FlatStage):
    """In a flat facet that has imitation values, a string whose opening makes the rest an imitation
    (``imitation_start``) and whose rest names a value with an imitation value: that imitation value. Where the value
    has none ("Synthetic Rubber" is rubber), the string is left to the later stages, as before; so is one whose
    imitation word is itself a value of the facet ("PU leather" where Polyurethane (PU) is one: the material the
    imitation is made of, which the facet names; a man-made word names no material, "Synthetic" though it be one)."""

    name = "imitation"

    def __init__(self, mapper: Mapper, reading: Sequence[Stage]) -> None:
        super().__init__(mapper)
        self.reading = reading
        self._imitations: dict[str, dict[str, str]] = {}

    def run_flat(self, batch: Batch, facet: str) -> None:
        imitated = self.imitations(facet)
        if not imitated:
            return
        rests, openings = {}, {}
        for raw in batch.open():
            words = normalize(batch.text(raw)).split()
            start = imitation_start(words)
            if start is not None:
                rests[raw] = " ".join(words[start:])
                openings[raw] = words[0] if start == 1 and words[0] in IMITATION_BEFORE else None
        if not rests:
            return
        found = self.m.lookup(rests.values(), facet, self.reading)
        materials = self.m.lookup({o for o in openings.values() if o}, facet).done
        for raw, rest in rests.items():
            opening = openings[raw]
            if opening in materials and materials[opening].mapped.value is not None:
                continue  # "PU leather" where Polyurethane (PU) is a value: the material it is made of
            outcome = found.done.get(rest)
            value = outcome.mapped.value if outcome is not None else None
            if value is not None and value.id in imitated:
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[imitated[value.id]], self.name)

    def imitations(self, facet: str) -> dict[str, str]:
        """Each value of ``facet`` that has an imitation value -> that value ("Leather" -> "Faux leather"), as the
        finder pairs them (``materials.imitations``)."""
        found = self._imitations.get(facet)
        if found is None:
            values = self.m.taxonomy.facet_values(facet)
            ids = [value.id for value in values]
            pairs = imitations(values, {vid: i for i, vid in enumerate(ids)})
            found = self._imitations[facet] = {ids[value]: ids[fake] for value, fake in pairs.items()}
        return found

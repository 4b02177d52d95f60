"""The stages that reject what is no tag: input screening first, before any guess the guard, and after the guesses
the negation check."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.keys import CONTROL, FORMAT, SURROGATE, scripts
from tagllm.parsing import trim

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MAX_TAG_CHARS = 300
"""A tag longer than this is not a tag (the longest Shopify path is about 150 characters)."""
MAX_FUZZY_WORDS = 12
"""A string of more words that matched nothing exactly is a sentence, not a tag: no guess of any kind."""
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,60}\b(instruction|rule|prompt|previous|above|constraint|"
    r"taxonomy|system)s?\b|\b(you are|you must|you should|act as|pretend|system prompt|jailbreak)\b|"
    r"\b(output|respond with|reply with|answer with|print|return|say|write)\b.{0,40}\b(instead|only|regardless|"
    r"anyway|no matter)\b",
    re.IGNORECASE | re.DOTALL,
)
ABSENCE_OPENERS = ("no", "without")
"""The words that open a string saying something is absent: a negation to the check after the guesses ("no bleach"
is no Bleach) and a lack to the privative stage ("no gluten" is Gluten-free). Both read their openers from here."""
_NEGATION = re.compile(
    r"^\W*(?:please\s+)?((?:do|does|did|is|are|should|must)\s+not|not|"
    + "|".join(ABSENCE_OPENERS)
    + r"|never|cannot|(?:can|do|does|is|are|won|should|must)n['’]?t)\b(?!-)",
    re.IGNORECASE,
)
"""A string that opens with a negation says what a product is not ("do not tumble dry", "not machine washable",
"no bleach"). Compounds ("non-stick", "no-show") and negations inside a name ("case without a cutout") pass."""


def deny_negations(mapper: Mapper, batch: Batch, trusted: Collection[str]) -> int:
    """After the guesses: a string that opens with a negation, guessed onto a value whose name does not open with
    the same one, is rejected (the guess dropped the negation: "do not tumble dry" is no Tumble dry). Values found
    by a ``trusted`` method (the tables: names, synonyms, ids, paths) stand. How many were rejected."""
    denied = 0
    for raw, outcome in batch.done.items():
        value, method = outcome.mapped.value, outcome.mapped.method
        negated = _NEGATION.match(batch.text(raw)) if value is not None and method not in trusted else None
        if negated is None or value is None:
            continue
        said = _words(negated.group(1))
        if any((m := _NEGATION.match(name)) and _words(m.group(1)) == said for name in (value.name, *value.synonyms)):
            continue
        reason = f"opens with {negated.group(1)!r}: says what the product is not, and {value.name!r} does not"
        batch.done[raw] = mapper.reject(raw, batch.facet, reason)
        denied += 1
    return denied


def _words(negation: str) -> str:
    return " ".join(negation.lower().replace("’", "'").split())


class ScreenStage(Stage):
    """Rejects what is not a tag at all (empty, too long, control characters, broken Unicode); drops zero-width
    marks."""

    name = "screen"

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        for raw in batch.open():
            text = trim(raw)  # not str.strip(): a record separator at the end of a cell is a control character
            if not text:
                batch.done[raw] = self.m.reject(raw, facet, "empty string")
                continue
            if len(text) > MAX_TAG_CHARS:
                reason = f"too long for a tag ({len(text)} characters)"
                batch.done[raw] = self.m.reject(raw[:MAX_TAG_CHARS], facet, reason)
                continue
            if not text.isprintable():  # one C-speed check for the common case; the regexes only when it fails
                if CONTROL.search(text):
                    batch.done[raw] = self.m.reject(raw, facet, "contains control characters")
                    continue
                if SURROGATE.search(text):
                    batch.done[raw] = self.m.reject(raw, facet, "not valid Unicode (a lone surrogate)")
                    continue
                if FORMAT.search(text):  # zero-width spaces and soft hyphens come with copy-paste; they mean nothing
                    text = trim(FORMAT.sub("", text))
                    if not text:
                        batch.done[raw] = self.m.reject(raw, facet, "empty string")
                        continue
            batch.clean[raw] = text


class GuardStage(Stage):
    """Before any guess: rejects strings with no letters, in a script the taxonomy has no labels in, instructions,
    and sentences (more than 12 words)."""

    name = "guard"

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        for raw in batch.fresh():
            text = batch.text(raw)
            found = scripts(unicodedata.normalize("NFKC", text))
            if not found:
                batch.done[raw] = self.m.reject(raw, facet, "no letters: not a tag")
                continue
            unknown = found - self.m.known_scripts
            if unknown and not found & self.m.known_scripts:
                what = ", ".join(sorted(s.title() for s in unknown))
                reason = f"written in a script the taxonomy has no labels for ({what})"
                batch.done[raw] = self.m.reject(raw, facet, reason)
                continue
            if _INSTRUCTION.search(text):
                batch.done[raw] = self.m.reject(raw, facet, "looks like an instruction, not a tag")
                continue
            words = len(text.split())
            if words > MAX_FUZZY_WORDS:
                reason = f"too long for a tag ({words} words) and matches no value"
                batch.done[raw] = self.m.reject(raw, facet, reason)

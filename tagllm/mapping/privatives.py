"""The privative stage: a string that says a thing lacks something ("no gluten", "without sleeves", "wire-free",
"non-wired") read as the value that names the lack in one word ("Gluten-free", "Sleeveless", "Wireless").

English writes the lack of X in a handful of interchangeable forms: before X ("no X", "without X", "free of X",
"non-X") and in X's one-word privatives ("X-free", "Xless", "unXed"). A facet names the lack in one of them
(Fragrance-free, Cordless, Unflavored, Non-GMO) and a writer in another; the stage reads the lack and its X, writes
every form of that lack and looks each up by the table stages (names, aliases, derived forms: no guess). It is the
lack's own grammar, not a list of values, and the negation check after the guesses leaves what it found be: the
value's name carries the negation the string opens with.
"""

from __future__ import annotations

import re

from tagllm.mapping.base import Batch, FlatStage
from tagllm.mapping.screening import ABSENCE_OPENERS
from tagllm.mapping.spelling import american_spelling
from tagllm.text import has_cjk, normalize, singular

_BEFORE = re.compile(
    rf"^(?:{'|'.join(ABSENCE_OPENERS)}|zero|free (?:of|from)|contains no|non)\s+(?:(?:a|an|any)\s+)?([a-z][a-z ]*?)$"
)
"""A lack written before what is lacking: "no gluten", "without a frame", "free from dyes", "non wired" (hyphens are
spaces once normalised). Its first words are the negation check's (``screening.ABSENCE_OPENERS``)."""
_AFTER = re.compile(r"^([a-z][a-z ]*?)\s*(?:free|less)$")
"""A lack written after what is lacking: "wire free", "strap less" (normalised "wire-free", "strap-less")."""
_UN_ED = re.compile(r"^un([a-z]{3,}?)e?d$")
"""A lack written as a participle: "unwaxed", "unscented"."""
MAX_LACKED_WORDS = 2
"""What is lacking is one thing, named by a word or two ("no added sugar" is a claim, left to the other stages)."""


class PrivativeStage(FlatStage):
    """In a flat facet (a category is a thing, never a lack), a string that says a lack, taken when the forms of that
    lack name exactly one value."""

    name = "privative"

    def run_flat(self, batch: Batch, facet: str) -> None:
        forms = {raw: found for raw in batch.open() if (found := privative_forms(batch.text(raw)))}
        if not forms:
            return
        looked = self.m.lookup({form for found in forms.values() for form in found}, facet)
        for raw, found in forms.items():
            named = {
                outcome.mapped.value.id
                for form in found
                if (outcome := looked.done.get(form)) is not None and outcome.mapped.value is not None
            }
            if len(named) == 1:
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[named.pop()], self.name)


def privative_forms(text: str) -> list[str]:
    """Every one-word form of the lack ``text`` says (American spellings), other than the string itself in either
    spelling; [] when it says none. "no sleeves" -> sleeve-free, sleeveless, unsleeved, non-sleeve…; "non-wired" ->
    wire-free, wireless…"""
    if has_cjk(text):
        return []
    norm = normalize(text)
    lacked = _lacked(norm)
    if lacked is None or len(lacked.split()) > MAX_LACKED_WORDS:
        return []
    forms = [american_spelling(form) for base in _bases(lacked) for form in _lacks(base)]
    written = {norm, american_spelling(norm)}  # the string respelt is the spelling stage's ("unflavoured")
    return [form for form in dict.fromkeys(forms) if form not in written]


def _lacked(norm: str) -> str | None:
    """What a normalised string says is lacking, or None when it says no lack."""
    for pattern in (_BEFORE, _AFTER, _UN_ED):
        match = pattern.match(norm)
        if match:
            return match.group(1).strip()
    return None


def _bases(lacked: str) -> list[str]:
    """The word or words lacked as written, in the singular, and without a participle's -ed ("wired" -> wire)."""
    words = lacked.split()
    *lead, last = words
    lasts = [last, singular(last)]
    if last.endswith("ed") and len(last) > 4:
        lasts += [last[:-2], last[:-1]]  # "waxed" -> wax, "wired" -> wire
    return [" ".join([*lead, word]) for word in dict.fromkeys(lasts)]


def _lacks(base: str) -> list[str]:
    """The forms that say a thing lacks ``base``: "base-free", "baseless", "unbased", "non-base"."""
    joined = base.replace(" ", "-")
    participle = f"{base}d" if base.endswith("e") else f"{base}ed"
    forms = [f"{joined}-free", f"{joined} free", f"non-{joined}", f"non-{participle}"]
    if " " not in base:
        forms += [f"{base}less", f"un{participle}"]
    return forms

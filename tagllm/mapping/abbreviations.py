"""Short forms a flat facet's values are written in, by rules of the value's name (``families.facet_aliases`` puts
them in the alias table): the initials of its words, an open-ended age written with "+", and the facet's own word
left out.

These are rules, not lists: "Ultra light" is UL, "Sci-fi" SF, "Young adult" YA; "12 years or older" is 12+; in a
power-source facet "AC-powered" is AC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tagllm.mapping.families import MIN_SIZE_VALUES, UNIT_SPELLINGS, paren_aliases, size_code
from tagllm.taxonomy import Value
from tagllm.text import normalize

_WORDS = re.compile(r"[ -]+")
MIN_INITIALS = 2
MAX_INITIALS = 4
"""A name of two to four words gives its initials; longer ones are seldom written so, and collide more."""
_OLDER = re.compile(r"^(?P<n>\d+)\s+(?P<unit>months|years)\s+(?:or older|and (?:up|over|older))$", re.IGNORECASE)
_FACET_WORD_ENDINGS = ("", "s", "ed", "ing")
"""How a facet's own word is written inside a value's name ("power" in power-source: "AC-powered")."""


def initials_aliases(values: list[Value]) -> Iterator[tuple[str, Value]]:
    """The initials of a flat facet's names of two to four words, split at spaces and hyphens ("Ultra light" -> UL,
    "Medium-light" -> ML, "Sci-fi" -> SF, "Extra fast" -> EF and XF): names of letters only, initials that are no
    value's own name, given to one value only. None in a hierarchical facet (category names are read by their words;
    "TV" is no Tennis Visors) nor in a facet of letter sizes, whose letters are size codes ("OS" is no One size there);
    no letter written twice, which reads as a code of its own ("SS": short sleeves, stainless steel, spring/summer)."""
    if any(v.parent_id is not None for v in values) or _letter_sizes(values):
        return
    names = {normalize(v.name) for v in values}
    owners: dict[str, list[Value]] = {}
    for value in values:
        words = [w for w in _WORDS.split(value.name.strip()) if w]
        if not MIN_INITIALS <= len(words) <= MAX_INITIALS or not all(w.isalpha() for w in words):
            continue
        for initials in _initials(words):
            if len(set(initials)) > 1 and normalize(initials) not in names:
                owners.setdefault(initials, []).append(value)
    for initials, found in owners.items():
        if len({v.id for v in found}) == 1:
            yield initials, found[0]


def _initials(words: list[str]) -> list[str]:
    """A name's initials; a leading "Extra" also as X, as sizes write it (XL, XS): "Extra heavy" is EH and XH, "Extra
    fast" XF."""
    initials = "".join(w[0] for w in words).upper()
    return [initials, "X" + initials[1:]] if words[0].casefold() == "extra" else [initials]


def older_spellings(name: str) -> list[str]:
    """An open-ended age written with "+" ("12 years or older" -> 12+, 12+ yrs, 12 years+, ages 12+); [] for other
    names."""
    match = _OLDER.match(name.strip())
    if not match:
        return []
    n, unit = match.group("n"), match.group("unit").casefold()
    out = [f"{n}+", f"ages {n}+", f"age {n}+"]
    for short in UNIT_SPELLINGS[unit]:
        out += [f"{n}+ {short}", f"{n}+{short}", f"{n} {short}+", f"{n} {short} and up", f"{n} {short} and over"]
    return out


def facet_word_aliases(values: list[Value]) -> Iterator[tuple[str, Value]]:
    """A name of an abbreviation and the facet's own word ("power" in power-source: "AC-powered", "DC-powered")
    gives the abbreviation alone (AC, DC), when that is no value's own name and only one value's rule gives it; a
    word in lower case is left with its facet word ("Not supported" is no "not")."""
    names = {normalize(v.name) for v in values}
    owners: dict[str, list[Value]] = {}
    for value in values:
        own = {w for w in normalize(value.facet.replace("-", " ")).split() if len(w) >= MIN_INITIALS + 1}
        words = [w for w in _WORDS.split(value.name.strip()) if w]
        if len(words) != 2:
            continue
        for keep, drop in ((words[0], words[1]), (words[1], words[0])):
            if not (keep.isalpha() and keep.isupper() and len(keep) >= MIN_INITIALS):
                continue
            low = drop.casefold()
            if any(low == word + end for word in own for end in _FACET_WORD_ENDINGS) and normalize(keep) not in names:
                owners.setdefault(normalize(keep), []).append(value)
    for alias, found in owners.items():
        if len({v.id for v in found}) == 1:
            yield alias, found[0]


def _letter_sizes(values: list[Value]) -> bool:
    """Whether the facet is one of letter sizes (at least ``MIN_SIZE_VALUES`` values read as S, M, XL …)."""
    coded = sum(1 for v in values if any(size_code(n) for n in (v.name, *paren_aliases(v.name))))
    return coded >= MIN_SIZE_VALUES

"""Misspelt values of a learned facet: a rare spelling a typo away from a much commoner value is merged into it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

MIN_TYPO_CHARS = 6
"""A differing word shorter than this is another word after one edit too often ("Kurta"/"Kurti", "Men"/"Women")."""
CHARS_PER_EDIT = 6
"""One edit per this many letters of the shorter word: a typo changes a letter or two of a long word, not a third."""
TYPO_RATIO = 5
"""The value a variant is merged into is carried by at least this many times as many products: a real value of its
own is seldom that much rarer than its nearest neighbour, a slip of the keyboard is."""


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment: a swapped pair of letters is one edit)."""
    from rapidfuzz.distance import OSA

    return int(OSA.distance(a, b))


def is_typo(rare: Sequence[str], frequent: Sequence[str]) -> bool:
    """Whether the words of ``rare`` are a misspelling of those of ``frequent``.

    Only Latin-script words: the same number of them, exactly one differing, that one of ``MIN_TYPO_CHARS`` letters
    or more on both sides, with the same first letter (the first letter is the one writers rarely get wrong) and at most
    one edit per ``CHARS_PER_EDIT`` letters. A value with a digit is a size, number or code, where one character is
    another value ("XL"/"XXL", "32"/"34"). Chinese is left alone: one character changes the meaning (红色/橙色).
    A word added or dropped ("Light Blue"/"Blue") is a different value, never a typo.
    """
    if len(rare) != len(frequent):
        return False
    differing = [(a, b) for a, b in zip(rare, frequent, strict=True) if a != b]
    if len(differing) != 1:
        return False
    a, b = differing[0]
    if not (a.isascii() and a.isalpha() and b.isascii() and b.isalpha()):
        return False
    shorter = min(len(a), len(b))
    return shorter >= MIN_TYPO_CHARS and a[0] == b[0] and _distance(a, b) <= shorter // CHARS_PER_EDIT


def merge_variants(support: Counter[str], words: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Which values are misspellings of which: {variant's key: the key of the value it merges into}.

    ``support``: products per value key; ``words``: each key's words. A value merges into the one value that is
    ``TYPO_RATIO`` times as common and an ``is_typo`` away; with two such values it is ambiguous and stays apart.
    A value that merges into another never takes variants itself.

    Each value is compared with the values of as many words common enough to take it, not with every value: a key of
    tens of thousands of values seen once or twice (model names, descriptions) compared each with all before it, and a
    large catalogue's `taxonomy build` ran for hours.
    """
    merged: dict[str, str] = {}
    kept: dict[int, list[str]] = {}  # values merged into none, by their number of words, commonest first
    for key in sorted(support, key=lambda k: (-support[k], k)):
        need = TYPO_RATIO * support[key]
        same_length = kept.setdefault(len(words[key]), [])
        targets = []
        for other in same_length:
            if support[other] < need:  # the rest are rarer still
                break
            if is_typo(words[key], words[other]):
                targets.append(other)
        if len(targets) == 1:
            merged[key] = targets[0]
        else:
            same_length.append(key)
    return merged

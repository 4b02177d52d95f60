"""Names found in a product's text: the phrase table that both the label space (mentions as evidence) and the
stated-value finder (attributes a title states) read names with."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from tagllm.text import has_cjk, normalize, singular_words, word_forms

MAX_PHRASE_WORDS = 5
_HYPHENATED = re.compile(r"([A-Za-z])-([A-Za-z])")  # a compound sellers also write closed: T-Shirt, V-Neck
K = TypeVar("K", bound=Hashable)


class PhraseTable(Generic[K]):
    """Phrases, each with a key (a value id, a label position), found in texts normalised by
    ``tagllm.text.normalize``: a Latin phrase of up to ``MAX_PHRASE_WORDS`` words as whole words (or as the words'
    singulars; a hyphenated one also written closed), a Chinese one as a substring of the text with its spaces removed
    (two ideographs at least: one alone is inside too many words)."""

    def __init__(self, phrases: Iterable[tuple[str, K]]) -> None:
        self.words: dict[str, set[K]] = {}
        self.cjk: list[tuple[str, K]] = []
        for phrase, key in phrases:
            norm = normalize(phrase)
            if not norm:
                continue
            if has_cjk(norm):
                compact = norm.replace(" ", "")
                if len(compact) >= 2:
                    self.cjk.append((compact, key))
            elif len(norm.split()) <= MAX_PHRASE_WORDS:
                self.words.setdefault(norm, set()).add(key)
                self.words.setdefault(singular_words(norm), set()).add(key)  # singular_key(phrase), normalised once
                if _HYPHENATED.search(phrase):  # "T-Shirts" written closed: "tshirt", "Tshirts"
                    closed = normalize(_HYPHENATED.sub(r"\1\2", phrase))
                    self.words.setdefault(closed, set()).add(key)
                    self.words.setdefault(singular_words(closed), set()).add(key)
        self._longest: dict[str, int] = {}  # first word of a phrase -> most words a phrase starting with it has
        for phrase in self.words:
            first, *rest = phrase.split()
            self._longest[first] = max(self._longest.get(first, 0), 1 + len(rest))

    def spans(self, norm: str) -> list[tuple[int, int, K]]:
        """(start, end, key) of every mention, Latin ones in word positions (of the words or of their singulars),
        Chinese ones in characters offset past the words (so the two never overlap)."""
        found: list[tuple[int, int, K]] = []
        words, singles = word_forms(norm)
        longest = self._longest
        # a text with no plural has the same singulars as words: a second pass found the same spans again
        for tokens in (words, singles) if singles != words else (words,):
            for start, token in enumerate(tokens):
                if token not in longest:  # most words start no phrase
                    continue
                for n in range(1, min(longest[token], len(tokens) - start) + 1):
                    for key in self.words.get(" ".join(tokens[start : start + n]), ()):
                        found.append((start, start + n, key))
        if self.cjk and has_cjk(norm):
            compact, offset = norm.replace(" ", ""), len(words) + 1
            for phrase, key in self.cjk:
                at = compact.find(phrase)
                while at >= 0:
                    found.append((offset + at, offset + at + len(phrase), key))
                    at = compact.find(phrase, at + 1)
        return found

    def keys(self, norm: str) -> set[K]:
        """The keys of every phrase the text holds."""
        return {key for _, _, key in self.spans(norm)}


class Spans(Generic[K]):
    """A text's mentions (start, end, value), looked up by start, so that finding the longer mention a mention lies
    inside reads only the starts a phrase's length away (a long text's mentions are many: comparing each with every
    other took minutes on a 16,000-character title)."""

    def __init__(self, spans: Iterable[tuple[int, int, K]]) -> None:
        self.all = set(spans)
        self.by_start: dict[int, list[tuple[int, K]]] = {}
        for start, end, pos in self.all:
            self.by_start.setdefault(start, []).append((end, pos))
        self.longest = max((end - start for start, end, _ in self.all), default=0)

    def inside_longer(self, start: int, end: int, key: K) -> bool:
        """Whether a longer mention of another key covers ``start:end``."""
        for s in range(max(0, start - self.longest), start + 1):
            for e, p in self.by_start.get(s, ()):
                if end <= e and (e - s) > (end - start) and p != key:
                    return True
        return False

    def outermost(self) -> set[K]:
        """The keys mentioned at least once outside every longer mention of another key: a text naming "Spark Plugs"
        names no Plugs, one naming "rose gold" no Gold."""
        return {key for start, end, key in self.all if not self.inside_longer(start, end, key)}

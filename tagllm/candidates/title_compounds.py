"""Compound words in a title, written open or closed: "Shoe Laces" for a value named "Shoelaces", "Tshirts" for
"T-Shirts". ``HeadFinder`` (``tagllm.candidates.title_head``) reads a title's words through these before it looks for
the head."""

from __future__ import annotations

from tagllm.candidates.head_keys import MIN_HEAD_LETTERS, head_key, is_word
from tagllm.text import looks_plural, singular


class Compounds:
    """The compound-word readings of ``HeadFinder``: ``known`` are the words that head some value's name, ``pairs``
    the (head word, word before it) of the names that have two words or more."""

    known: set[str]
    pairs: set[tuple[str, str]]

    def open_compound(self, word: str) -> list[str]:
        """A word no value's name is headed by, written closed from a value's two-word name ("tshirts" for "T-Shirts",
        "trackpant" for "Track Pants"), as those two words; any other word as it is."""
        if not is_word(word) or head_key(word) in self.known:
            return [word]
        return self.halves(word)

    def halves(self, word: str) -> list[str]:
        """A word written closed from a value's two-word name, as those two words; any other word as it is."""
        for i in range(1, len(word) - MIN_HEAD_LETTERS + 1):
            if (head_key(word[i:]), head_key(word[:i])) in self.pairs:
                return [word[:i], word[i:]]
        return [word]

    def close_compounds(self, words: list[str], opened: set[int]) -> list[str]:
        """The words with two written apart that a value's name writes as one word joined ("Shoe Laces" for
        "Shoelaces", "Key Chain" for "Keychains", "Hair Brush" for "Hairbrushes"): sellers write a compound open or
        closed, and read apart its first half heads the phrase's names no better than its second ("Flat Shoe Laces"
        read as shoes). Not a value's two-word name itself, nor a compound ``open_compound`` has just opened
        (``opened``: the positions of their second halves), nor halves shorter than ``MIN_HEAD_LETTERS``. A first half
        in the plural closes in the singular, as English compounds take their modifier ("Dolls House" is a
        dollhouse, the British "dolls' house" with its apostrophe dropped)."""
        out: list[str] = []
        for i, word in enumerate(words):
            closed = self.closed(out[-1], word) if out and i not in opened else None
            if closed:
                out[-1] = closed
            else:
                out.append(word)
        return out

    def closed(self, first: str, second: str) -> str | None:
        """Two words next to each other written as one, where a value's name holds them so (``closes``): as written,
        else with the first half's plural ending dropped; None where no name holds them closed."""
        if self.closes(first, second):
            return first + second
        if looks_plural(first):
            single = singular(first)
            if self.closes(single, second):
                return single + second
        return None

    def closes(self, first: str, second: str) -> bool:
        """Whether two words next to each other are a closed compound a value's name holds, written apart."""
        if not (is_word(first) and is_word(second)) or min(len(first), len(second)) < MIN_HEAD_LETTERS:
            return False
        return head_key(first + second) in self.known and (head_key(second), head_key(first)) not in self.pairs

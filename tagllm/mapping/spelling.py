"""British spellings read as the American ones a taxonomy may use ("multicolour", "anodised", "fibre", "catalogue"):
the spelling stage rewrites a string's words by the regular correspondences of the two spellings and reads it again."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, Stage
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

BRITISH = (
    (re.compile(r"(?<=[a-z]{3})our(?=(?:s|ed|ing|ful|less|able)?\b)"), "or"),  # colour, flavoured, multicolour
    (re.compile(r"(?<=[a-z]{3})is(?=(?:e|es|ed|ing|er|ers|ation|ations)\b)"), "iz"),  # anodised, organiser
    (re.compile(r"(?<=[a-z]{2}[bt])re(?=(?:s|d)?\b)"), "er"),  # fibre, centre, litre
    (re.compile(r"(?<=[a-z]{3})yse(?=(?:s|d)?\b)"), "yze"),  # analyse
    (re.compile(r"(?<=[a-z]{3})ogue(?=s?\b)"), "og"),  # catalogue
)
"""The regular British-to-American spelling correspondences, as (pattern, replacement) over normalised words; a word
too short for them ("four", "hour", "rise") is left as written."""


class SpellingStage(Stage):
    """A string with British spellings, rewritten in American ones and looked up by ``stages`` (names, WordNet,
    modifiers): one value found is taken. A rewrite is a spelling of the same words, so it faces the bars the
    string itself would."""

    name = "spelling"

    def __init__(self, mapper: Mapper, stages: list[Stage]) -> None:
        self.m = mapper
        self.stages = stages
        self._words: frozenset[str] | None = None

    def run(self, batch: Batch) -> None:
        rewrites: dict[str, str] = {}
        for raw in batch.open():
            text = batch.text(raw)
            if has_cjk(text):
                continue
            american = american_spelling(normalize(text))
            changed = set(american.split()) - set(normalize(text).split())
            if changed and all(self.known(w) for w in changed):
                rewrites[raw] = american  # "exercize" is no word: "exercise book" is left as written
        self.m.take_rewritten(batch, rewrites, self.name, self.stages)

    def known(self, word: str) -> bool:
        """Whether a rewritten word is a word: WordNet's (nouns, adjectives) or one of the taxonomy's names'."""
        lexical = self.m.lexical
        wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
        if wordnet is not None and wordnet.known(word):
            return True
        if self._words is None:
            self._words = frozenset(w for v in self.m.values.values() for w in normalize(v.name).split())
        return word in self._words


def american_spelling(text: str) -> str:
    """``text`` (normalised) with each British spelling rewritten ("multicolour print" -> "multicolor print")."""
    for pattern, replacement in BRITISH:
        text = pattern.sub(replacement, text)
    return text

"""What the modifier stage strips: the words of a string that describe a value rather than name it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.colours import survey_name
from tagllm.mapping.keys import keys, stem
from tagllm.mapping.modifier_words import MODIFIER_WORDS, SHADES, SIZE_SYSTEMS, is_unit
from tagllm.mapping.tables import scope
from tagllm.mapping.vocabulary import FacetVocabulary

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MIN_PART = 3
"""A word run together is split into parts of at least this many letters ("crew" + "neck", not "c" + "rewneck")."""


class Stripper:
    """Drops modifiers: shade and quality words, numbers, audience words, the facet's own name, other facets'
    values before a category's head, units after a number, adjectives WordNet knows only as adjectives."""

    def __init__(self, mapper: Mapper, vocab: FacetVocabulary) -> None:
        self.m = mapper
        self.vocab = vocab

    def strip(self, tokens: list[str], facet: str | None) -> list[str]:
        """The tokens that are not modifiers, in order."""
        facet_words = self.vocab.facet_words(facet)
        describing = self.vocab.describing(facet)
        lexical = self.m.lexical
        wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
        kept: list[str] = []
        hierarchical = facet is None or self.m.taxonomy.facets[facet].hierarchical
        numeric = not hierarchical and self.vocab.numeric(facet)  # "3/4 sleeve": in a facet of numbers they name values
        for i, token in enumerate(tokens):
            if hierarchical and i == len(tokens) - 1 and any(ch.isalpha() for ch in token):
                kept.append(token)  # a category's head noun is never a modifier ("leather backpacks")
                continue
            if hierarchical and self._names_with_next(tokens, i, describing):
                kept.append(token)  # "light globes", "hot plate": a shade word before no colour names a thing with it
                continue
            if hierarchical and self._describes_next(tokens, i, describing, facet):
                continue  # "glass teapot", "velvet sofa": a material before the head describes it (Glass is a category)
            if hierarchical and i > 0 and is_unit(wordnet, token, tokens[i - 1]):
                continue  # "14 inch laptop", "2 litre jug": a unit after a number measures the thing
            if self.vocab.names_value(token, facet):
                kept.append(token)  # "him" describes in a colour, names a value in a gender facet
                continue
            if numeric and token in SIZE_SYSTEMS and any(ch.isdigit() for t in tokens for ch in t):
                continue  # "UK 7", "EU 38.5": the number names the size
            if numeric and any(ch.isdigit() for ch in token):
                kept.append(token)
                continue
            root = stem(token)
            if any(ch.isdigit() for ch in token) or token in MODIFIER_WORDS or root in MODIFIER_WORDS:
                continue
            if any(
                root == w or (len(root) >= 4 and len(w) >= 4 and (root.startswith(w) or w.startswith(root)))
                for w in facet_words
            ):
                continue
            if root in describing or token in describing:
                continue
            if wordnet is not None and wordnet.is_adjective(token) and not wordnet.noun_synsets(token):
                continue
            kept.append(token)
        return kept

    def split(self, word: str, facet: str | None) -> list[str] | None:
        """A word run together of a value's name and a word the stage drops ("turtleneck": Turtle and the facet's
        word neck; "longsleeve": Long and sleeve), as two words; None when no split leaves one value's name."""
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            parts = [word[:i], word[i:]]
            kept = self.strip(parts, facet)
            if len(kept) == 1 and self.vocab.names_value(kept[0], facet):
                return parts
        return None

    @staticmethod
    def _names_with_next(tokens: list[str], i: int, describing: frozenset[str]) -> bool:
        """Whether token ``i`` is a shade word followed by a word that is no colour, no shade and no value of a
        describing facet: in a category a shade word says the shade of a colour or a material ("light blue sofa",
        "dark wood table"); before a noun it makes a compound with it ("light globe", "soft toy")."""
        if tokens[i] not in SHADES or i + 1 >= len(tokens):
            return False
        following = tokens[i + 1]
        described = following in describing or stem(following) in describing
        return following not in MODIFIER_WORDS and not described and survey_name(following) is None

    def _describes_next(self, tokens: list[str], i: int, describing: frozenset[str], facet: str | None) -> bool:
        """Whether token ``i`` is a value of a describing facet that does not name a value with the next token
        ("velvet" in "velvet sofa"; not "wine" in "wine glasses")."""
        token = tokens[i]
        if i + 1 >= len(tokens) or not (stem(token) in describing or token in describing):
            return False
        return not self.vocab.names_value(f"{token} {tokens[i + 1]}", facet)

    def inner_value(self, tokens: list[str], facet: str | None) -> str | None:
        """In a flat facet, the one value a run of two or more words names, when every other word is a modifier."""
        tables = self.m.tables
        for size in range(len(tokens) - 1, 1, -1):
            for start in range(len(tokens) - size + 1):
                key = keys(" ".join(tokens[start : start + size]))[1]
                found = {
                    v for t in (tables.names, tables.synonyms, tables.aliases) for v in scope(t["sing"].get(key), facet)
                }
                rest = tokens[:start] + tokens[start + size :]
                if len(found) == 1 and not self.strip(rest, facet):
                    return found.pop()
        return None

"""The words of each facet the modifier stage reads a string against: what names a value, what describes one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.derived import root
from tagllm.mapping.describing import DESCRIBING_FACETS
from tagllm.mapping.keys import keys, stem
from tagllm.mapping.kinds import facet_words
from tagllm.mapping.tables import scope
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper


class FacetVocabulary:
    """Per facet, computed once: its kind words, the describing facets' values, its own value words, its names."""

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self._facet_words: dict[str | None, frozenset[str]] = {}
        self._describing: dict[str, frozenset[str]] | None = None
        self._words: dict[str | None, dict[str, set[str]]] = {}
        self._numbers: dict[str | None, bool] = {}
        self._own: dict[str, frozenset[str]] = {}
        self._roots: dict[str, frozenset[str]] = {}
        self._faux: dict[str, bool] = {}
        self._audiences: dict[str | None, frozenset[str]] = {}

    def names_value(self, token: str, facet: str | None) -> bool:
        tables = self.m.tables
        key = keys(token)[1]
        return any(scope(t["sing"].get(key), facet) for t in (tables.names, tables.synonyms, tables.aliases))

    def facet_words(self, facet: str | None) -> frozenset[str]:
        found = self._facet_words.get(facet)
        if found is None:
            found = self._facet_words[facet] = facet_words(self.m, facet)
        return found

    def describing(self, facet: str | None) -> frozenset[str]:
        """Stems of one-word values of describing facets other than ``facet`` (materials, colours, genders …)."""
        words = frozenset(self.describing_facets())
        if facet is not None and not self.m.taxonomy.facets[facet].hierarchical:
            return words - self.own_words(facet)  # "double" is a bed size, and a word of Double extra large (XXL)
        return words

    def own_words(self, facet: str) -> frozenset[str]:
        """In a flat facet, its values' names and the words in them (keys and stems): words that name, not describe."""
        found = self._own.get(facet)
        if found is None:
            words: set[str] = set()
            for value in self.m.taxonomy.facet_values(facet):
                words.add(keys(value.name)[1])
                for word in normalize(value.name).split():
                    words |= {keys(word)[1], stem(word)}
            found = self._own[facet] = frozenset(words - {"", "other"})
        return found

    def own_roots(self, facet: str) -> frozenset[str]:
        """In a flat facet, the roots of the words in its values' names ("salted" -> "salt"): a word beside a head
        that shares one may be another value's word written another way ("sea salt caramel" and Salted caramel)."""
        found = self._roots.get(facet)
        if found is None:
            words = {w for v in self.m.taxonomy.facet_values(facet) for w in normalize(v.name).split()}
            found = self._roots[facet] = frozenset(root(w) for w in words if w.isalpha() and w != "other")
        return found

    def describing_facets(self) -> dict[str, frozenset[str]]:
        """One-word values of describing facets, by key, with the facets they are values of."""
        if self._describing is None:
            found: dict[str, set[str]] = {}
            for name, spec in self.m.taxonomy.facets.items():
                label = f"{name} {spec.title}".casefold()
                if spec.hierarchical or not any(d in label for d in DESCRIBING_FACETS):
                    continue
                for value in self.m.taxonomy.facet_values(name):
                    key = keys(value.name)[1]
                    if key and " " not in key and key != "other":
                        found.setdefault(key, set()).add(name)
            self._describing = {k: frozenset(v) for k, v in found.items()}
        return self._describing

    def branch_audiences(self, facet: str | None) -> frozenset[str]:
        """In a hierarchical facet, the stems of the words of its top-level names that are values of an age facet
        (Baby & Toddler: "baby", "toddler"): audiences the taxonomy files a whole branch of things for."""
        found = self._audiences.get(facet)
        if found is None:
            ages = {k for k, facets in self.describing_facets().items() if any("age" in f.split("-") for f in facets)}
            tops = [v for v in self.m.taxonomy.facet_values(facet) if v.parent_id is None] if facet else []
            words = {stem(w) for v in tops for w in normalize(v.name).split()}
            found = self._audiences[facet] = frozenset(w for w in words if w in ages)
        return found

    def numeric(self, facet: str | None) -> bool:
        """Whether a value of a flat facet is named with a digit (sizes, "3/4"): then numbers are kept, not stripped."""
        found = self._numbers.get(facet)
        if found is None:
            values = self.m.taxonomy.facet_values(facet) if facet else []
            found = self._numbers[facet] = any(ch.isdigit() for v in values for ch in v.name)
        return found

    def has_faux(self, facet: str) -> bool:
        """Whether the facet names imitations ("Faux leather"): a facet of materials, where a look is no material."""
        found = self._faux.get(facet)
        if found is None:
            found = self._faux[facet] = any(
                normalize(v.name).startswith("faux ") for v in self.m.taxonomy.facet_values(facet)
            )
        return found

    def word_index(self, facet: str | None) -> dict[str, set[str]]:
        """The facet's values by the stems of their names' words."""
        index = self._words.get(facet)
        if index is None:
            index = {}
            values = self.m.taxonomy.facet_values(facet) if facet else list(self.m.values.values())
            for value in values:
                for word in normalize(value.name).split():
                    index.setdefault(stem(word), set()).add(value.id)
            self._words[facet] = index
        return index

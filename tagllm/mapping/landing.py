"""Where WordNet's senses of a string land in a facet: its synonyms first, then its hypernyms (the lexical stage's
reading, ``lexical.py``; the reader itself is ``wordnet.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.keys import iter_keys, stem
from tagllm.mapping.tables import NAME_TABLES, scope
from tagllm.mapping.wordnet import Synset, WordNet, plural
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MIN_LANDING_DEPTH = 2
"""In a hierarchical facet a landing by hypernym must be at least this deep (ancestors): a "teddy" is a toy, but Toys &
Games > Toys is a shelf of a thousand kinds, not the teddy's category."""
MAX_HYPERNYM_DEPTH = {True: 1, False: 2}
"""How far up WordNet's hypernyms a string may climb to land on a value: one level in a hierarchical facet (a
"holdall" is a bag, and that is already too general), two in a flat one ("burgundy" -> "dark red" -> "red")."""
FACET_WORD_DEPTH = 8
"""A landing by hypernym in a flat facet must have the facet's own word among its hypernyms this far up ("burgundy"
reaches "color"): the facet's words must agree."""
COMMON_SENSES = 2
"""A synonym counts in a category only through a lemma for which the sense is among its most frequent ones (or where
the value's path agrees with the sense): "grip" is mostly a grasp or a handle, its hairgrip sense is its seventh."""
OWN_SENSES = 3
"""The senses of a string that are its own common ones (WordNet lists a word's senses most frequent first): "sheet" is
a bed sheet in its third; "tops" a spinning top only in its eighth, where a garment is as likely in a shop."""
CONCRETE = frozenset({"05", "06", "13", "17", "20", "27"})
"""WordNet's lexicographer files of things one can sell (animal, artifact, food, object, plant, substance): in a
hierarchical facet only these senses count ("item" as "a part of a whole" is no product)."""
GENERIC = frozenset(
    {
        "and", "accessory", "accessori", "supply", "suppli", "product", "item", "other", "part", "entity", "object",
        "whole", "artifact", "artefact", "physical", "unit", "thing", "matter", "instrumentality",
    }
)  # fmt: skip
_STOP = frozenset(
    {
        "a", "an", "the", "of", "or", "and", "to", "in", "on", "for", "with", "by", "as", "at", "from", "that",
        "which", "is", "are", "be", "it", "its",
    }
)  # fmt: skip


class Landing:
    """The values a string's WordNet senses land on in a facet, and whether by hypernym (a broader thing).

    Each sense of the string is walked up from its own synset (synonyms) through its hypernyms; a synset lands on a
    value when one of its lemmas is the value's name (or a name-table key of it), or is the last word of the value's
    name while the value's other words all occur in the synset's lemmas or gloss ("pram" -> {baby buggy, stroller}
    -> "Baby Strollers", not "Pet Strollers"). Landings by synonym outrank landings by hypernym; in a flat facet a
    landing by hypernym must also pass through the facet's own word ("burgundy" -> "dark red" -> "red" -> … ->
    "color").
    """

    def __init__(self, mapper: Mapper, wordnet: WordNet) -> None:
        self.m = mapper
        self.wordnet = wordnet
        self._heads: dict[str | None, dict[str, list[tuple[str, frozenset[str]]]]] = {}

    def landing(self, text: str, facet: str | None) -> tuple[list[str], bool]:
        """The values WordNet's senses of ``text`` land on (synonyms first, then hypernyms), and whether by hypernym.

        Synonyms count from every sense; in a hierarchical facet hypernyms only from the most frequent sense that has
        any (so "product", mostly a commodity, does not land on Chemicals by its chemistry sense); in a flat facet
        from every sense whose hypernyms reach the facet's own word ("burgundy" the colour, not the wine). In a
        hierarchical facet only senses of things one can sell count; an adjective counts only in a flat facet, and
        only when its noun is a value's name ("golden" -> Gold).
        """
        wordnet = self.wordnet
        hierarchical = facet is None or self.m.taxonomy.facets[facet].hierarchical
        senses = wordnet.noun_synsets(text)
        if not senses:
            if hierarchical or " " in text.strip():
                return [], False
            return self._adjective(normalize(text), facet), False
        if hierarchical:
            senses = [s for s in senses if wordnet.synset(s).lexfile in CONCRETE]
        synonyms: dict[str, list[str]] = {}  # value -> the senses that landed on it
        for sense in senses:
            for vid in self._lands(sense, facet, normalize(text) if hierarchical else None):
                synonyms.setdefault(vid, []).append(sense)
        if not hierarchical:
            # a flat facet's value must be reached by a sense of the facet's kind ("stripes" the insignia is no
            # Chevron pattern), or by the sense the string and a lemma naming the value both say first ("teenager"
            # and "teen": Teens; a person is no "age group", but nothing else is meant)
            synonyms = {
                v: ss
                for v, ss in synonyms.items()
                if any(self._agrees(s, facet) or s == senses[0] and self._said_first(s, v, facet) for s in ss)
            }
        if synonyms:
            named = self._leaves(list(synonyms)) if hierarchical else list(synonyms)
            if len(named) > 1 and hierarchical:
                agreeing = [v for v in named if any(self._path_agrees(s, v) for s in synonyms[v])]
                # "pram": Baby Transport, not Food Processor; "waistcoat": the clothing Vests, not the pets' (the
                # lexical stage's namesake rule then picks the plain one among those left)
                named = agreeing or named
            return named, False
        if hierarchical:
            first = next((s for s in senses if wordnet.synset(s).hypernyms), None)
            senses = [first] if first is not None else []
        found: list[str] = []
        for sense in senses:
            level, landed = self._climb(sense, facet, MAX_HYPERNYM_DEPTH[hierarchical])
            if hierarchical:
                landed = [
                    v
                    for v in landed
                    if self._path_agrees(sense, v) and len(self.m.taxonomy.ancestors(v)) >= MIN_LANDING_DEPTH
                ]
            if landed and level > 0 and (hierarchical or self._agrees(sense, facet)):
                found.extend(v for v in landed if v not in found)
        return (self._leaves(found) if hierarchical else found), bool(found)

    def naming_senses(self, text: str, facet: str | None, ids: list[str]) -> list[str]:
        """The senses of a string (things one can sell) whose own lemmas name one of ``ids``, each with the values
        its lemmas name."""
        own = normalize(text)
        senses = [s for s in self.wordnet.noun_synsets(text) if self.wordnet.synset(s).lexfile in CONCRETE]
        return [s for s in senses if set(self._lands(s, facet, own)) & set(ids)]

    def names_all(self, sense: str, text: str, facet: str | None, ids: list[str]) -> bool:
        """Whether the sense's own lemmas name every one of ``ids``."""
        return set(ids) <= set(self._lands(sense, facet, normalize(text)))

    def climbing_sense(self, text: str) -> str | None:
        """The sense a string climbs by in a hierarchical facet: its most frequent sense of a thing one can sell that
        has hypernyms (``landing``'s choice)."""
        for sense in self.wordnet.noun_synsets(text):
            synset = self.wordnet.synset(sense)
            if synset.lexfile in CONCRETE and synset.hypernyms:
                return sense
        return None

    def by_common_sense(self, text: str, vid: str, facet: str | None) -> bool:
        """Whether one of the string's own ``OWN_SENSES`` most frequent senses lands on the value by synonym."""
        own = normalize(text)
        return any(vid in self._lands(s, facet, own) for s in self.wordnet.noun_synsets(text)[:OWN_SENSES])

    def _path_agrees(self, sense: str, vid: str) -> bool:
        """Whether a word of the value's ancestors is among the sense's hypernyms: a hoover's hypernyms hold
        "household appliance", the path of Vacuums holds "Household Appliances"; a hose's hypernyms hold no word of
        "Baby & Toddler > Nursing & Feeding > Breast Pump Accessories" (Tubing)."""
        ancestors = {stem(w) for a in self.m.taxonomy.ancestors(vid) for w in normalize(a.name).split()} - GENERIC
        return bool(ancestors & (self.wordnet.hypernym_words(sense, FACET_WORD_DEPTH) - GENERIC))

    def _leaves(self, ids: list[str]) -> list[str]:
        """Values that are not ancestors of another value found ("tap": Faucets, not Plumbing Fixtures as well)."""
        implied = {a.id for vid in ids for a in self.m.taxonomy.ancestors(vid)}
        return [vid for vid in ids if vid not in implied]

    def _adjective(self, word: str, facet: str | None) -> list[str]:
        out: list[str] = []
        for sid in self.wordnet.adjective_nouns(word):
            for lemma in self.wordnet.synset(sid).lemmas:
                out.extend(v for v in scope(self.m.tables.names["norm"].get(normalize(lemma)), facet) if v not in out)
        return out

    def _climb(self, sense: str, facet: str | None, depth: int) -> tuple[int, list[str]]:
        frontier = [sense]
        for level in range(depth + 1):
            found: list[str] = []
            for sid in frontier:
                for vid in self._lands(sid, facet):
                    if vid not in found:
                        found.append(vid)
            if found:
                return level, found
            frontier = [h for sid in frontier for h in self.wordnet.synset(sid).hypernyms]
            if not frontier:
                break
        return 0, []

    def _lands(self, sid: str, facet: str | None, own: str | None = None) -> list[str]:
        """The values a synset's lemmas name. With ``own`` (the string, in a category), a lemma other than the string
        for which this sense is a rare one (past its ``COMMON_SENSES`` most frequent) counts only where the value's
        path agrees with the sense: "blusher" is WordNet's rouge, a rare sense of "paint", and no Paint."""
        synset = self.wordnet.synset(sid)
        out: list[str] = []
        for lemma in synset.lemmas:
            norm = normalize(lemma)
            rare = own is not None and norm != own and sid not in self.wordnet.noun_synsets(lemma)[:COMMON_SENSES]
            for vid in self._lands_lemma(norm, synset, facet):
                if vid not in out and (not rare or self._path_agrees(sid, vid)):
                    out.append(vid)
        return out

    def _lands_lemma(self, norm: str, synset: Synset, facet: str | None) -> list[str]:
        """The values one (normalised) lemma of a synset names: by a name table, or as the last word of a value's
        name whose other words are all the synset's."""
        tables = self.m.tables
        out: list[str] = []
        # WordNet's lemmas are singular unless the word has no singular ("glasses" is no "Glass"): the lemma and its
        # plural are looked up as written, and singular keys only for a singular lemma
        lookups = [("norm", norm), ("norm", plural(norm))]
        if not norm.endswith("s"):
            lookups += [(kind, key) for kind, key in zip(NAME_TABLES[1:3], list(iter_keys(norm))[1:3], strict=True)]
        for kind, key in lookups:
            for table in (tables.names[kind], tables.synonyms[kind], tables.aliases[kind]):
                out.extend(v for v in scope(table.get(key), facet) if v not in out)
        words = norm.split()
        if words and (facet is None or self.m.taxonomy.facets[facet].hierarchical):
            # in a flat facet "mustard greens" is no shade of Green
            for vid, others in self._head_index(facet).get(stem(words[-1]), []):
                if vid not in out and others <= synset.words:
                    out.append(vid)
        return out

    def _head_index(self, facet: str | None) -> dict[str, list[tuple[str, frozenset[str]]]]:
        """Values by the stem of their name's last word, with the stems of their other words."""
        index = self._heads.get(facet)
        if index is None:
            index = {}
            values = self.m.taxonomy.facet_values(facet) if facet else list(self.m.values.values())
            for value in values:
                words = [w for w in normalize(value.name).split() if w not in _STOP]
                if len(words) > 1:
                    index.setdefault(stem(words[-1]), []).append((value.id, frozenset(stem(w) for w in words[:-1])))
            self._heads[facet] = index
        return index

    def _said_first(self, sid: str, vid: str, facet: str | None) -> bool:
        """Whether a lemma of the synset that names the value has this synset as its most frequent sense."""
        synset = self.wordnet.synset(sid)
        return any(
            self.wordnet.noun_synsets(lemma)[:1] == [sid] and vid in self._lands_lemma(normalize(lemma), synset, facet)
            for lemma in synset.lemmas
        )

    def _agrees(self, sense: str, facet: str | None) -> bool:
        """Whether the facet's own word (its name or title) is among the sense's hypernyms."""
        assert facet is not None
        spec = self.m.taxonomy.facets[facet]
        words = {stem(w) for text in (spec.name, spec.title) for w in normalize(text).split()}
        words |= {"color"} if "colour" in words else set()
        return self.wordnet.reaches(sense, words, FACET_WORD_DEPTH)

"""The name-part stage: a word that is one kind of a category's joined name ("Tacks & Pushpins", "Gloves & Mittens",
"Bath Sponges & Loofahs") read as that category, when WordNet says the word is a kind of thing the name's other
words or its shelf name.

The alias tables read the parts of a joined name of two words or more ("Coffee Makers" of "Coffee Makers & Espresso
Machines"), not a lone word: "Clips" alone says too little. A lone word is read here instead, only for a word WordNet
knows as a thing one can sell whose own sense (among the word's most frequent) reaches, through its lemmas or
hypernyms, a word of the name's other parts or of the value's ancestors: a pushpin is WordNet's tack (Tacks &
Pushpins), a mitten its glove (Gloves & Mittens), a wardrobe its furniture (Furniture > … > Armoires & Wardrobes). A
regional or older word is read through its sense's other lemmas ("drawing pin" -> pushpin, "pillow slip" ->
pillowcase), the string's own word first. The embedder must not put another value more than ``WHOLE_TRAIL`` nearer
the string. It runs after the lexical stage, on the strings it left open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.agreement import WHOLE_TRAIL, agreements
from tagllm.mapping.base import Batch, TreeStage
from tagllm.mapping.glosses import glosses
from tagllm.mapping.keys import JOINED_NAME, stem
from tagllm.mapping.landing import CONCRETE, FACET_WORD_DEPTH, GENERIC, OWN_SENSES
from tagllm.mapping.wordnet import data_dir
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.lexical import LexicalStage
    from tagllm.mapping.mapper import Mapper
    from tagllm.mapping.wordnet import WordNet


class NamePartStage(TreeStage):
    """Accepts the one value of a hierarchical facet whose joined name holds the string's word (or a lemma of its
    WordNet sense) as a part of one word, under WordNet's and the embedder's agreement."""

    name = "name_part"

    def __init__(self, mapper: Mapper, lexical: LexicalStage) -> None:
        self.m = mapper
        self.lexical = lexical  # its WordNet, read when a string first reaches a stage that needs it
        self._parts: dict[str, dict[str, list[str]]] = {}

    def run_tree(self, batch: Batch, facet: str) -> None:
        texts = [raw for raw in batch.open() if not has_cjk(batch.text(raw))]
        wordnet = self.lexical.wordnet if texts else None
        if wordnet is None:
            return
        found: list[tuple[str, str]] = []
        queries: list[tuple[str, str]] = []  # what the embedder reads: the string, or its sense's names and definition
        for raw in texts:
            part = self.part_of(wordnet, batch.text(raw), facet)
            told = part and (batch.text(raw) if part[1] is None else self._told(wordnet, part[1]))
            if part is not None and told:
                found.append((raw, part[0]))
                queries.append((told, part[0]))
        for (raw, vid), score in zip(found, agreements(self.m, queries, facet, -1.0, WHOLE_TRAIL), strict=True):
            if score is not None or not self.m.use_embeddings:
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[vid], self.name)

    @staticmethod
    def _told(wordnet: WordNet, sense: str) -> str | None:
        """A sense as its names and WordNet's definition ("thumbtack, drawing pin, pushpin: a tack for attaching
        papers ..."), or None without a definition."""
        definition = glosses(data_dir()).get(sense, "")
        return f"{', '.join(wordnet.synset(sense).lemmas)}: {definition}" if definition else None

    def part_of(self, wordnet: WordNet, text: str, facet: str) -> tuple[str, str | None] | None:
        """The one value whose joined name has the string's word as a part, with its sense agreeing, and None; or,
        when the string's word is no part, the one value a one-word lemma of its sense is a part of, with that sense
        (which the embedder then reads for the string: a regional word's own embedding says little). None for none
        or several (the plain one of several that share the part: Gloves & Mittens, not the babies')."""
        senses = [s for s in wordnet.noun_synsets(text)[:OWN_SENSES] if wordnet.synset(s).lexfile in CONCRETE]
        own = normalize(text)
        if " " not in own and stem(own) in self.parts(facet):
            return self._one(self._agreeing(wordnet, own, senses, facet), None)
        found: dict[str, str] = {}
        for sense in senses:
            for lemma in map(normalize, wordnet.synset(sense).lemmas):
                if " " not in lemma and lemma != own:
                    found |= dict.fromkeys(self._agreeing(wordnet, lemma, [sense], facet), sense)
        return self._one(list(found), found)

    def _one(self, ids: list[str], senses: dict[str, str] | None) -> tuple[str, str | None] | None:
        vid = ids[0] if len(ids) == 1 else self._plain(ids)
        return None if vid is None else (vid, senses[vid] if senses is not None else None)

    def _plain(self, ids: list[str]) -> str | None:
        """The value among ``ids`` whose name's words are all in every other's name: the others add a qualifier the
        string does not say ("Baby & Toddler Gloves & Mittens" beside "Gloves & Mittens")."""
        words = {vid: set(normalize(self.m.values[vid].name).split()) for vid in ids}
        plain = [v for v in ids if all(words[v] < words[o] for o in ids if o != v)]
        return plain[0] if len(plain) == 1 else None

    def _agreeing(self, wordnet: WordNet, word: str, senses: list[str], facet: str) -> list[str]:
        """The values whose joined name has ``word`` as a part and with which one of ``senses`` agrees."""
        ids = self.parts(facet).get(stem(word), [])
        return [vid for vid in ids if any(self._agrees(wordnet, s, vid, word) for s in senses)]

    def _agrees(self, wordnet: WordNet, sense: str, vid: str, word: str) -> bool:
        """Whether a word of the value's other name parts or of its ancestors' names is among the sense's lemmas or
        hypernyms ("pushpin": tack; "mitten": glove)."""
        value = self.m.values[vid]
        told = {stem(w) for part in JOINED_NAME.split(value.name) for w in normalize(part).split()} - {stem(word)}
        told |= {stem(w) for a in self.m.taxonomy.ancestors(vid) for w in normalize(a.name).split()}
        said = (set(wordnet.synset(sense).words) | wordnet.hypernym_words(sense, FACET_WORD_DEPTH)) - {stem(word)}
        return bool((told - GENERIC) & (said - GENERIC))

    def parts(self, facet: str) -> dict[str, list[str]]:
        """The facet's one-word parts of joined names (stems) and the values they are parts of, leaving out a word
        that is a value's own name (the tables read that one) and a word in the singular: kinds are named in the
        plural, a singular part is a material ("… & Plaster") or qualifies the head the parts share ("Cast & Bandage
        Protectors"). A part that heads the name of exactly one value under its value is that value's ("Blenders" of
        Food Mixers & Blenders: Food Blenders beneath it)."""
        found = self._parts.get(facet)
        if found is None:
            values = self.m.taxonomy.facet_values(facet)
            names = {stem(normalize(v.name)) for v in values}
            found = {}
            for value in values:
                pieces = [normalize(p) for p in JOINED_NAME.split(value.name) if p.strip()]
                if len(pieces) < 2:
                    continue
                for piece in pieces:
                    key = stem(piece)
                    if " " in piece or not _plural(piece) or key in names:
                        continue
                    vid = self._headed_child(value.id, key) or value.id
                    if vid not in found.get(key, []):
                        found.setdefault(key, []).append(vid)
            self._parts[facet] = found
        return found

    def _headed_child(self, vid: str, key: str) -> str | None:
        """The one child of the value whose name's last word has the stem ``key``."""
        headed = [c.id for c in self.m.taxonomy.children(vid) if stem(normalize(c.name).split()[-1]) == key]
        return headed[0] if len(headed) == 1 else None


def _plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith("ss")

"""The gloss stage: a category described in words ("clock that wakes you up", "little cup that holds a boiled egg")
read against WordNet's definitions of the facet's names, which are descriptions themselves.

A description and a name share few words; a description and a definition share many ("eggcup: dishware consisting
of a small cup for serving a boiled egg"). Each value whose name WordNet knows as a thing one can sell is represented
by its name's most frequent such sense, written "lemma: definition"; the sentence embedder compares the string with
those. A value is taken only when (1) its definition is at least ``GLOSS_FLOOR`` similar and ``GLOSS_MARGIN`` ahead
of every other value's, (2) the embedder puts no other value's own name nearer the string than this value's names
(the two readings agree), and (3) the description's head noun agrees: a head such as "alarm" or "pencil" is a word
of the value's name, its sense's lemmas, hypernyms or definition; a generic head ("thing", "gadget", "machine")
needs a made thing (WordNet's artifact), and a head written "X-like" is no X, and (4) the sense's other names take
no word of the description that another value's name holds (WordNet's fire alarm is a smoke alarm too; the taxonomy
has Smoke Detectors). It runs last before the LLM, on the strings every other stage left open.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from tagllm.cache import load_array, save_cache
from tagllm.mapping.agreement import agreements
from tagllm.mapping.base import Batch, TreeStage
from tagllm.mapping.keys import JOINED_NAME, stem
from tagllm.mapping.landing import CONCRETE
from tagllm.mapping.repeats import general_value
from tagllm.mapping.tables import slug
from tagllm.mapping.wordnet import LexiconMissing, WordNet, data_dir
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from pathlib import Path

    from tagllm.mapping.lexical import LexicalStage
    from tagllm.mapping.mapper import Mapper

GLOSS_FLOOR = 0.7
GLOSS_MARGIN = 0.03
"""Chosen on the case files' category strings that every other stage rejects (docs/mapping.md, session s39)."""
LINKS = frozenset(
    {"for", "to", "that", "which", "who", "you", "where", "when", "with", "used", "worn", "of", "on", "in"}
)
"""Words that join a description's head to what the thing is for or does ("cup that holds", "bag you carry")."""
MIN_WORDS = 3
GENERIC = frozenset(
    {
        "thing", "something", "stuff", "device", "gadget", "machine", "tool", "item", "equipment", "appliance",
        "contraption", "object", "product", "kit", "one",
    }
)  # fmt: skip
"""Heads that name no kind: the definition must be a made thing's (WordNet's artifact) instead."""
ARTIFACT = "06"
LIVING = frozenset({"05", "20"})
"""WordNet's lexicographer files of animals and plants: a value's name is read so only when its shelf says so."""
SHELF_DEPTH = 6
"""How far up a sense's hypernyms a word of the value's parent or grandparent may be found (a nut → edible nut →
produce → food)."""
SHELF_STOP = frozenset(
    stem(word)
    for word in ("and", "other", "accessories", "supplies", "items", "products", "parts", "goods", "equipment", "sets")
)
"""Words of shelves' names that say no kind: "Parts" would take a tree's trunk for a car's, "Goods" bed linen for a
case."""
HYPERNYM_DEPTH = 2
_LIKE = re.compile(r"\b([a-z]+)-like\b")
_EXAMPLES = re.compile(r';\s*"')


class GlossStage(TreeStage):
    """Accepts a description's value by WordNet's definitions of the facet's names, under the embedder's and the head
    noun's agreement; passes every string on without WordNet."""

    name = "gloss"

    def __init__(self, mapper: Mapper, lexical: LexicalStage) -> None:
        self.m = mapper
        self.lexical = lexical  # its WordNet, read when a string first reaches a stage that needs it
        self._index: dict[str, tuple[list[str], list[str], np.ndarray]] = {}
        self._words: dict[str, dict[str, set[str]]] = {}

    def run_tree(self, batch: Batch, facet: str) -> None:
        texts = [raw for raw in batch.fresh() if head_of(batch.text(raw)) is not None]
        if not texts or self.lexical.wordnet is None:
            return
        senses, ids, vectors = self.index(facet)
        if not ids:
            return
        sims = self.m.embedder.encode([batch.text(raw) for raw in texts]) @ vectors.T
        found: list[tuple[str, str, str, float]] = []
        for raw, row in zip(texts, sims, strict=True):
            order = np.argsort(-row)
            best = float(row[order[0]])
            tied = list(dict.fromkeys(ids[j] for j in order[:20] if float(row[j]) >= best - 1e-6))
            named = self._named_whole(tied)
            vid = general_value(self.m.taxonomy, named) if len(named) > 1 else named[0]
            if vid is None or best < GLOSS_FLOOR:
                continue
            second = next((float(row[j]) for j in order if ids[j] not in tied), 0.0)
            sense = senses[next(j for j in order if ids[j] == vid)]
            text = batch.text(raw)
            agrees = self.head_agrees(text, vid, sense) and not self.shared(text, vid, sense)
            if best - second >= GLOSS_MARGIN and agrees:
                found.append((raw, vid, sense, best))
        queries = [(batch.text(raw), vid) for raw, vid, _, _ in found]
        for (raw, vid, _, score), near in zip(found, agreements(self.m, queries, facet, -1.0, 0.0), strict=True):
            if near is not None:  # no other value's own name nearer the string: both readings agree
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[vid], self.name, round(score, 4))

    def _named_whole(self, tied: list[str]) -> list[str]:
        """The values sharing the best definition that it names whole, when the values it names a part of lie in other
        branches ("washer": Washing Machines, not Washer & Dryer Accessories); else all of them (Folding Chairs & Stools
        above Folding Chairs: the description may mean either)."""
        whole = [v for v in tied if len(_name_parts(self.m.values[v].name)) == 1]
        lineage = {a.id for v in whole for a in self.m.taxonomy.ancestors(v)}
        return whole if whole and not (set(tied) - set(whole)) & lineage else tied

    @property
    def wordnet(self) -> WordNet:
        wordnet = self.lexical.wordnet
        if wordnet is None:
            raise LexiconMissing(self.lexical.missing or "WordNet is missing")
        return wordnet

    def head_agrees(self, text: str, vid: str, sense: str) -> bool:
        """Whether the description's head noun can name the value: generic heads a made thing, others a word of the
        value's name, its sense's lemmas, hypernyms or definition; "tent-like" is no tent."""
        head = head_of(text)
        synset = self.wordnet.synset(sense)
        words = set(synset.words) | self.wordnet.hypernym_words(sense, HYPERNYM_DEPTH)
        words |= {stem(w) for w in normalize(self.m.values[vid].name).split()}
        if any(stem(like) in words for like in _LIKE.findall(text.casefold())):
            return False
        if head is None:
            return False
        if head in GENERIC:
            return synset.lexfile == ARTIFACT
        words |= {stem(w) for w in normalize(glosses(data_dir()).get(sense, "")).split()}
        return stem(head) in words

    def shared(self, text: str, vid: str, sense: str) -> bool:
        """Whether the sense's other names take a word of the description that the value's name lacks and another
        value's name holds: WordNet's "fire alarm, smoke alarm" for "alarm that goes off when there is smoke", where
        the taxonomy names Smoke Detectors apart from Fire Alarms."""
        value = self.m.values[vid]
        own = {stem(w) for w in normalize(value.name).split()}
        said = {stem(w) for w in normalize(text).split()} - own
        # a word inside the name's compound is the name's own ("sun" in Sunscreen, "doll" in Dollhouses)
        taken = {w for w in said & set(self.wordnet.synset(sense).words) if not any(w in o for o in own)}
        named = self._name_words(value.facet)
        return any(named.get(word, set()) - {vid} for word in taken)

    def _name_words(self, facet: str) -> dict[str, set[str]]:
        """The facet's name words (stems) and the values whose names hold each."""
        found = self._words.get(facet)
        if found is None:
            found = self._words[facet] = {}
            for value in self.m.taxonomy.facet_values(facet):
                for word in normalize(value.name).split():
                    found.setdefault(stem(word), set()).add(value.id)
        return found

    def index(self, facet: str) -> tuple[list[str], list[str], np.ndarray]:
        """The facet's definitions (one per value and part of its name WordNet knows): senses, value ids, vectors;
        the vectors cached on disk by the texts' digest, as the label embeddings are."""
        found = self._index.get(facet)
        if found is not None:
            return found
        texts, senses, ids = definitions(self.m, self.wordnet, facet)
        embedder = self.m.embedder
        digest = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
        path: Path = (
            self.m.cache_dir / "mapping" / "embeddings" / slug(embedder.name) / f"{slug(facet)}-glosses-{digest}.npy"
        )
        vectors = load_array(path, (len(texts), embedder.dim)) if texts else None
        if vectors is None:
            vectors = embedder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
            save_cache(path, lambda handle: np.save(handle, vectors, allow_pickle=False), ".npy")
        self._index[facet] = (senses, ids, vectors)
        return self._index[facet]


def head_of(text: str) -> str | None:
    """The head noun of a description of three words or more: the last word before its first linking word ("cup" in
    "little cup that holds a boiled egg"); None for a string with no linking word after its first word."""
    if has_cjk(text):
        return None
    words = re.findall(r"[a-z]+(?:-[a-z]+)*", text.casefold())
    if len(words) < MIN_WORDS:
        return None
    link = next((i for i, w in enumerate(words) if i > 0 and w in LINKS), None)
    return None if link is None else words[link - 1]


def definitions(mapper: Mapper, wordnet: WordNet, facet: str) -> tuple[list[str], list[str], list[str]]:
    """Each value's definition texts ("eggcup: dishware consisting of …"), their senses and the values' ids: for the
    value's name, or each part of an "A & B" name, the sense ``product_sense`` picks."""
    source = glosses(data_dir())
    texts: list[str] = []
    senses: list[str] = []
    ids: list[str] = []
    for value in mapper.taxonomy.facet_values(facet):
        shelf = _shelf_words(mapper, value.id)
        for part in (p for p in _name_parts(value.name) if stem(normalize(p)) not in SHELF_STOP):
            sense = product_sense(wordnet, part, shelf)  # "Parts" alone defines nothing a shopper describes
            if sense is not None and source.get(sense):
                texts.append(f"{wordnet.synset(sense).lemmas[0]}: {source[sense]}")
                senses.append(sense)
                ids.append(value.id)
    return texts, senses, ids


def _name_parts(name: str) -> list[str]:
    """The kinds an "A & B" or "A, B and C" name joins; a plain name is one."""
    return [part for part in JOINED_NAME.split(name) if part.strip()]


def product_sense(wordnet: WordNet, name: str, shelf: frozenset[str]) -> str | None:
    """The sense of a value's name that the value sells: among the senses of the name as written and of its
    singulars (``WordNet.noun_senses``) that are things one can sell, the first whose hypernyms reach a word of the
    value's parent or grandparent ("nuts" under Food is the edible nut, "rings" under Jewelry no gymnastic rings),
    else the first that is no living thing ("clocks" as written is a weed, as "clock" a timepiece; a "drone" sold is
    an aircraft, not a bee; plants and animals are found by their shelves' words), else the most frequent."""
    senses = [s for s in wordnet.noun_senses(name) if wordnet.synset(s).lexfile in CONCRETE]
    if not senses:
        return None
    rank = {sense: i for i, sense in enumerate(senses)}
    return min(
        senses,
        key=lambda s: (not wordnet.reaches(s, set(shelf), SHELF_DEPTH), wordnet.synset(s).lexfile in LIVING, rank[s]),
    )


def _shelf_words(mapper: Mapper, vid: str) -> frozenset[str]:
    """The stems of the value's parent's and grandparent's names, without words every branch uses ("supplies",
    "parts")."""
    return frozenset(
        stem(word)
        for ancestor in mapper.taxonomy.ancestors(vid)[-2:]
        for word in normalize(ancestor.name).split()
        if stem(word) not in SHELF_STOP
    )


@lru_cache(maxsize=2)
def glosses(source: Path) -> dict[str, str]:
    """WordNet's noun definitions by synset ("n" + offset), without their quoted examples, read from ``data.noun``."""
    out: dict[str, str] = {}
    for line in (source / "data.noun").read_text(encoding="latin-1").splitlines():
        if not line.startswith("  "):
            gloss = line.partition(" | ")[2].strip()
            out["n" + line[:8]] = _EXAMPLES.split(gloss)[0].strip().rstrip(";").strip()
    return out

"""The wording stage: a category described in words ("bag you take to the gym", "table that folds up") read by the
words themselves, against each value's name and WordNet's sense of it (lemmas, hypernyms, definition).

The gloss stage compares a description with definitions by sentence embeddings; this one counts the description's
own content words, each folded to a root that meets its derived forms ("folds", "folding" -> "fold"; "washes",
"washer", "washing" -> "wash"). A value is taken only when (1) its name, its sense's lemmas or their hypernyms hold the
description's head noun (a generic head such as "thing" or "machine" asks for a made thing, WordNet's artifact, and
covers nothing itself), (2) its name and sense cover every content word of the description, (3) no other value whose
head agrees covers more than half as many of them ("no other value comes close"), and (4) the embedder puts no other
value's label more than ``HEAD_TRAIL`` nearer the whole string. It runs after the gloss stage, on what every stage
before it left open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.agreement import HEAD_TRAIL, agreements
from tagllm.mapping.base import Batch, TreeStage
from tagllm.mapping.glosses import ARTIFACT, GENERIC, definitions, glosses, head_of
from tagllm.mapping.keys import stem
from tagllm.mapping.wordnet import WordNet, data_dir
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.lexical import LexicalStage
    from tagllm.mapping.mapper import Mapper

FUNCTION_WORDS = frozenset(
    {
        "a", "an", "the", "of", "and", "or", "for", "with", "in", "on", "to", "s", "is", "are", "be", "by", "from",
        "that", "which", "who", "you", "your", "it", "its", "into", "at", "as", "this", "their", "used", "use",
        "using", "when", "while", "so", "can", "one", "some", "any", "i", "my", "me", "we", "our", "they", "them",
        "usually", "especially", "etc", "not", "no", "out", "up", "off", "over", "under", "how", "much", "what",
        "where", "very", "someone", "somebody", "people", "person", "cannot", "t", "away", "lot", "lots", "little",
        "small", "big", "large", "take", "put", "keep", "make", "hold", "get", "go", "help", "stop", "do", "doing",
        "there",
    }
)  # fmt: skip
"""Words a description says nothing of the kind with: links, pronouns, sizes and the light verbs ("put", "keep")."""
SUFFIXES = ("ing", "ed", "er", "es", "s")
MIN_ROOT = 3


class WordingStage(TreeStage):
    """Accepts the one value whose name and WordNet sense cover every content word of a description and its head noun,
    under the embedder's agreement; passes every string on without WordNet or an embedder."""

    name = "wording"

    def __init__(self, mapper: Mapper, lexical: LexicalStage) -> None:
        self.m = mapper
        self.lexical = lexical  # its WordNet, read when a string first reaches a stage that needs it
        self._index: dict[str, Vocabulary] = {}

    def run_tree(self, batch: Batch, facet: str) -> None:
        texts = [raw for raw in batch.fresh() if head_of(batch.text(raw)) is not None]
        wordnet = self.lexical.wordnet if texts else None
        if wordnet is None:
            return
        vocabulary = self._index.get(facet) or self._index.setdefault(facet, Vocabulary(self.m, wordnet, facet))
        found = [(raw, vid) for raw in texts if (vid := vocabulary.covering(batch.text(raw))) is not None]
        queries = [(batch.text(raw), vid) for raw, vid in found]
        for (raw, vid), score in zip(found, agreements(self.m, queries, facet, -1.0, HEAD_TRAIL), strict=True):
            if score is not None:
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[vid], self.name, round(score, 4))


class Vocabulary:
    """A facet's values by the roots of the words that can head them (name, lemmas, hypernyms' lemmas) and of all the
    words that describe them (those and the definition), with the values whose sense is a made thing."""

    def __init__(self, mapper: Mapper, wordnet: WordNet, facet: str) -> None:
        source = glosses(data_dir())
        self.heads: dict[str, set[str]] = {}
        self.words: dict[str, set[str]] = {}
        self.made: set[str] = set()
        _, senses, ids = definitions(mapper, wordnet, facet)
        for sense, vid in zip(senses, ids, strict=True):
            synset = wordnet.synset(sense)
            hypernyms = [lemma for h in synset.hypernyms for lemma in wordnet.synset(h).lemmas]
            self._add(vid, roots(" ".join((*synset.lemmas, *hypernyms))), roots(source.get(sense, "")))
            if synset.lexfile == ARTIFACT:
                self.made.add(vid)
        for value in mapper.taxonomy.facet_values(facet):
            named = roots(value.name)
            self._add(value.id, named, named)

    def _add(self, vid: str, heads: set[str], words: set[str]) -> None:
        for root in heads:
            self.heads.setdefault(root, set()).add(vid)
        for root in heads | words:
            self.words.setdefault(root, set()).add(vid)

    def covering(self, text: str) -> str | None:
        """The one value that covers every content word of the description and its head, far ahead of any other."""
        head = head_of(text)
        said = roots(text)
        if head is None or len(said) < 2:
            return None
        generic = head in GENERIC
        if generic:  # "thing that …": a made thing, and the head itself says nothing
            suitors = {vid for root in said for vid in self.words.get(root, ()) if vid in self.made}
        else:
            suitors = set(self.heads.get(root_of(head), ()))
        counts = sorted(((sum(vid in self.words.get(r, ()) for r in said), vid) for vid in suitors), reverse=True)
        if not counts or counts[0][0] < len(said):
            return None
        best, vid = counts[0]
        second = counts[1][0] if len(counts) > 1 else 0
        return vid if best >= 2 + generic and 2 * second <= best else None


def roots(text: str) -> set[str]:
    """The roots of a text's content words (``FUNCTION_WORDS`` and generic heads left out)."""
    words = normalize(text.replace("-", " ")).split()
    return {root_of(w) for w in words if w not in FUNCTION_WORDS and w not in GENERIC and len(w) > 1}


def root_of(word: str) -> str:
    """A comparison key that a word's inflected and agent forms meet on ("washes", "washer", "washing" -> "wash";
    "folds", "folding" -> "fold"); a key, never shown."""
    root = stem(word)
    for suffix in SUFFIXES:
        if root.endswith(suffix) and len(root) - len(suffix) >= MIN_ROOT:
            root = root[: -len(suffix)]
            if len(root) > MIN_ROOT and root[-1] == root[-2] and root[-1] not in "ls":
                root = root[:-1]  # "chopping" -> "chop"
            break
    return root[:-1] if len(root) > MIN_ROOT and root.endswith("e") else root

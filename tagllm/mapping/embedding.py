"""The embedding stage: meaning, by cosine similarity of sentence embeddings to the facet's names and synonyms."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from tagllm.cache import load_array, save_cache
from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.keys import DIGITS, FORMAT, stem, words_of
from tagllm.mapping.tables import slug

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

NOT_THINGS = frozenset({"04", "10"})
"""WordNet's lexicographer files of acts and of communication (noun.act, noun.communication): a word whose first
sense is one of these ("service", "delivery", "offer") names something done or said, not a thing one can sell."""
TOP_CANDIDATES = 8
"""How many nearest values an open string keeps for the stages after this one (the LLM's choice)."""


@dataclass
class EmbeddingIndex:
    """One facet's label embeddings (names and synonyms), rows aligned with ``ids``."""

    texts: list[str]
    ids: list[list[str]]
    vectors: np.ndarray

    @cached_property
    def rows(self) -> dict[str, np.ndarray]:
        """Each value's label rows (a value named by a name and synonyms has several; a shared name is one row)."""
        grouped: dict[str, list[int]] = {}
        for j, ids in enumerate(self.ids):
            for vid in ids:
                grouped.setdefault(vid, []).append(j)
        return {vid: np.asarray(js, dtype=np.intp) for vid, js in grouped.items()}


class EmbeddingStage(Stage):
    """Accepts the nearest value at ``embedding_threshold`` or above when no other value is within the margin.

    The embedder is built the first time a string reaches this stage; label embeddings are computed per facet on
    first need and cached on disk (content-addressed). Strings below the threshold stay open with their nearest
    values, for the LLM stage when there is one.
    """

    name = "embedding"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self._index: dict[str | None, EmbeddingIndex] = {}

    def run(self, batch: Batch) -> None:
        texts = batch.fresh()
        if not texts:
            return
        index = self.index(batch.facet)
        if not index.texts:
            return
        queries = self.m.embedder.encode([FORMAT.sub("", t).strip() for t in texts])
        sims = queries @ index.vectors.T
        threshold, margin = self.m.embedding_threshold, self.m.embedding_margin
        hierarchical = batch.facet is None or self.m.taxonomy.facets[batch.facet].hierarchical
        for raw, row in zip(texts, sims, strict=True):
            top = np.argsort(-row)[: TOP_CANDIDATES * 2]
            best = float(row[top[0]])
            batch.best[raw] = round(best, 4)
            batch.candidates[raw] = tuple(dict.fromkeys(vid for j in top for vid in index.ids[j]).keys())[
                :TOP_CANDIDATES
            ]
            if best < threshold or numbers_differ(batch.text(raw), index.texts[top[0]]):
                continue  # "12-24 months" is not "6-12 months", however near their embeddings
            if hierarchical and self._no_thing_follows(batch.text(raw), index.texts[top[0]]):
                continue  # "gift wrapping service" is a service, and no Gift Wrapping paper
            close = [j for j in top if float(row[j]) >= best - margin]
            ids = list(dict.fromkeys(vid for j in close for vid in index.ids[j]))
            if len(ids) > 1:
                reason = self.m.ambiguity(ids, batch.facet, raw, "equally close to")
                batch.done[raw] = self.m.reject(raw, batch.facet, reason, best)
            else:
                batch.done[raw] = self.m.accept(raw, batch.facet, self.m.values[ids[0]], self.name, round(best, 4))

    def _no_thing_follows(self, text: str, label: str) -> bool:
        """Whether the word right after the label in the string is no thing: an adjective WordNet knows no noun
        sense of ("gift wrapping available"), or a noun whose first sense is an act or a communication
        (``NOT_THINGS``: "gift wrapping service"). The string then says the label's thing is offered or done, not sold
        as a product; a category's values are products. False without WordNet, or when no word follows the label."""
        lexical = self.m.lexical
        wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
        following = word_after(text, label)
        if wordnet is None or following is None:
            return False
        senses = wordnet.noun_senses(following)
        if not senses:
            return wordnet.is_adjective(following)
        return wordnet.synset(senses[0]).lexfile in NOT_THINGS

    @staticmethod
    def shared(mapper: Mapper) -> EmbeddingStage:
        """The mapper's embedding stage (its label embeddings), or one made for it when the chain has none."""
        for stage in mapper.stages:
            if isinstance(stage, EmbeddingStage):
                return stage
        found: EmbeddingStage | None = getattr(mapper, "_embedding_stage", None)
        if found is None:
            found = EmbeddingStage(mapper)
            mapper._embedding_stage = found  # type: ignore[attr-defined]
        return found

    def index(self, facet: str | None) -> EmbeddingIndex:
        index = self._index.get(facet)
        if index is not None:
            return index
        values = self.m.taxonomy.facet_values(facet) if facet else list(self.m.values.values())
        by_text: dict[str, list[str]] = {}
        for value in values:
            for text in (value.name, *value.synonyms):
                ids = by_text.setdefault(text, [])
                if value.id not in ids:
                    ids.append(value.id)
        texts = list(by_text)
        digest = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
        if self.m.progress:  # its name (in the cache's path) loads it: a first run exports it, a minute or more
            self.m.progress("embedder", 0, None)
        embedder = self.m.embedder
        # content-addressed (the digest covers the facet's label texts), so a synonym edit that changes the taxonomy
        # version re-embeds only the facets whose labels changed
        path = (
            self.m.cache_dir / "mapping" / "embeddings" / slug(embedder.name) / f"{slug(facet or '_all')}-{digest}.npy"
        )
        # a damaged file (cut short, garbage, another model's width) is encoded again and overwritten
        vectors = load_array(path, (len(texts), embedder.dim)) if texts else None
        if vectors is None:
            vectors = self._encode_labels(texts) if texts else np.zeros((0, 1), dtype=np.float32)
            save_cache(path, lambda handle: np.save(handle, vectors, allow_pickle=False), ".npy")
        index = EmbeddingIndex(texts, [by_text[t] for t in texts], vectors)
        self._index[facet] = index
        return index

    def _encode_labels(self, texts: list[str]) -> np.ndarray:
        """The label texts embedded, reporting ``labels`` progress to the mapper's ``progress``: a large taxonomy's
        labels take minutes on a first run."""
        progress = self.m.progress
        if progress is None:
            return self.m.embedder.encode(texts)
        progress("labels", 0, len(texts))
        vectors = self.m.embedder.encode(texts, progress=lambda done, total: progress("labels", done, total))
        progress("labels", len(texts), len(texts))
        return vectors


def word_after(text: str, label: str) -> str | None:
    """The word of the string right after the label's words (compared by stem), or None when the string does not
    hold the label's words in a row or ends with them."""
    tokens = words_of(text)
    stems, wanted = [stem(t) for t in tokens], [stem(w) for w in words_of(label)]
    for start in range(len(tokens) - len(wanted)):
        if wanted and stems[start : start + len(wanted)] == wanted:
            return tokens[start + len(wanted)]
    return None


def numbers_differ(text: str, label: str) -> bool:
    """Whether a string and a label both state numbers, and not the same ones ("12-24 months" / "6-12 months"); a
    number on one side only says nothing ("4K smart TV" and Televisions)."""
    ours, theirs = sorted(DIGITS.findall(text)), sorted(DIGITS.findall(label))
    return bool(ours) and bool(theirs) and ours != theirs

"""The fuzzy stage: typos, by Damerau-Levenshtein similarity, guarded so that a different word is not a typo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, Outcome, Stage
from tagllm.mapping.keys import DIGITS, stem
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MIN_FUZZY_CHARS = 4
"""Below this, one typo is a different word ("Tan" / "Tin"), so short strings must match exactly or not at all."""
SHORT_FUZZY_THRESHOLD = 0.8
"""Strings under 6 characters need this similarity at least: one edit in four letters is another word too often
("Wool" / "Wood")."""
MIN_PART = 4
"""A word run together is read as two words of at least this many letters ("chap" + "stick"; shorter words are too
often WordNet abbreviations: "jan" + "dals" is no compound)."""
WORD_FLOOR = 0.6
"""Fuzzy matches need every word within this similarity of a word on the other side (see ``words_agree``)."""


@dataclass
class FuzzyIndex:
    """One facet's (or the whole taxonomy's) choices for rapidfuzz: normalised names and synonyms."""

    choices: list[str]
    sorted_choices: list[str]
    ids: list[list[str]]
    digits: list[tuple[str, ...]]


class FuzzyStage(Stage):
    """Similarity on the folded key (and on word-sorted keys) at least ``fuzzy_threshold``, numbers equal, words close.

    Also gives strings found only in another facet a chance in their own ("Tonge" is a meat cut's typo, not the
    category "Tongs").
    """

    name = "fuzzy"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self._index: dict[str | None, FuzzyIndex] = {}

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        for raw in batch.open():
            key = normalize(batch.text(raw))
            if len(key.replace(" ", "")) < MIN_FUZZY_CHARS:
                continue
            outcome = self.one(raw, key, facet)
            if outcome is None:
                continue
            if raw in batch.elsewhere and outcome.mapped.value is None:
                continue  # torn between values here: the other facet's finding stands
            batch.done[raw] = outcome

    def index(self, facet: str | None) -> FuzzyIndex:
        index = self._index.get(facet)
        if index is None:
            values = self.m.taxonomy.facet_values(facet) if facet else list(self.m.values.values())
            by_key: dict[str, list[str]] = {}
            for value in values:
                for text in (value.name, *value.synonyms):
                    ids = by_key.setdefault(normalize(text), [])
                    if value.id not in ids:
                        ids.append(value.id)
            choices = [k for k in by_key if k]
            index = FuzzyIndex(
                choices,
                [" ".join(sorted(c.split())) for c in choices],
                [by_key[c] for c in choices],
                [tuple(DIGITS.findall(c)) for c in choices],
            )
            self._index[facet] = index
        return index

    def candidates(self, key: str, facet: str | None) -> list[tuple[list[str], float]]:
        """Choices within the margin of the best, best first, as (ids, score).

        The score is Damerau-Levenshtein similarity (a swapped pair of letters is one typo) on the folded key,
        or on word-sorted keys when the words were reordered. A choice must also agree on its numbers and pass
        the word check, so "Door mSATA" is not read as "Door Mats", and begin as the string does unless one edit
        apart (``same_start``).
        """
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

        index = self.index(facet)
        if not index.choices:
            return []
        threshold, margin = self.m.fuzzy_threshold, self.m.fuzzy_margin
        cutoff = threshold - margin
        scores: dict[int, float] = {}
        queries = [(key, index.choices)]
        if " " in key:
            queries.append((" ".join(sorted(key.split())), index.sorted_choices))
        for query, choices in queries:
            # Levenshtein is bit-parallel and fast; it counts a swap as two edits, so it shortlists with a looser
            # cutoff and Damerau-Levenshtein (a swap is one typo) scores the shortlist
            shortlist = process.extract(
                query, choices, scorer=Levenshtein.normalized_similarity, limit=20, score_cutoff=max(cutoff - 0.2, 0)
            )
            for _, _, j in shortlist:
                score = DamerauLevenshtein.normalized_similarity(query, choices[j])
                if score >= cutoff:
                    scores[j] = max(scores.get(j, 0.0), score)
        digits = tuple(sorted(DIGITS.findall(key)))
        ranked = sorted(
            (
                (s, j)
                for j, s in scores.items()
                if tuple(sorted(index.digits[j])) == digits
                and words_agree(key, index.choices[j])
                and (same_start(key, index.choices[j]) or same_start(queries[-1][0], index.sorted_choices[j]))
            ),
            key=lambda pair: -pair[0],
        )
        if not ranked:
            return []
        best = ranked[0][0]
        if best < (threshold if len(key) >= 6 else max(threshold, SHORT_FUZZY_THRESHOLD)):
            return []
        return [(index.ids[j], s) for s, j in ranked if s >= best - margin]

    def one(self, raw: str, key: str, facet: str | None) -> Outcome | None:
        candidates = self.candidates(key, facet)
        if not candidates or self._real_word(key, candidates[0][0]) or self._other_compound(key, candidates[0][0]):
            return None
        ids = list(dict.fromkeys(vid for group, _ in candidates for vid in group))
        best = candidates[0][1]
        if len(ids) > 1:
            outcome = self.m.reject(raw, facet, self.m.ambiguity(ids, facet, raw, "close to"), best)
            outcome.candidates, outcome.method = tuple(ids), "fuzzy"
            return outcome
        return self.m.accept(raw, facet, self.m.values[ids[0]], "fuzzy", round(best, 4))

    def _real_word(self, key: str, ids: list[str]) -> bool:
        """Whether a word of the string that the value's name lacks is a real word ("trainers" is no typo of
        "Strainers", "ladies" none of "Ladles"): WordNet's vocabulary, when the lexical stage has it."""
        lexical = self.m.lexical
        wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
        if wordnet is None:
            return False
        theirs = {w for vid in ids for w in normalize(self.m.values[vid].name).split()}
        return any(len(w) > 2 and w not in theirs and wordnet.known(w) for w in key.split())

    def _other_compound(self, key: str, ids: list[str]) -> bool:
        """Whether a word run together of two real words is another compound than the value's name, not a typo of it
        ("chapstick" is chap + stick, not chop + sticks; "coffeemaker" no Coffee Cakes; "winerack" is wine + rack, as
        Wine Racks), unless one edit apart: WordNet's vocabulary, when the lexical stage has it."""
        lexical = self.m.lexical
        wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
        if wordnet is None or " " in key:
            return False
        ours = compound_splits(key, wordnet.known)
        if not ours:
            return False
        from rapidfuzz.distance import DamerauLevenshtein

        for vid in ids:
            name = normalize(self.m.values[vid].name).replace(" ", "")
            if DamerauLevenshtein.distance(key, name) <= 1:
                return False  # one edit is the common typo, whatever words it happens to make ("floering": floe + ring)
            theirs = {(stem(a), stem(b)) for a, b in compound_splits(name, lambda _: True)}
            if any((stem(a), stem(b)) in theirs for a, b in ours):
                return False
        return True


def same_start(key: str, choice: str) -> bool:
    """Whether a string could be a typo of a choice by its first letter: the same, or one edit apart in all. Writers
    seldom miss a word's first letter (well under one misspelling in ten does), so a string that differs there and
    somewhere else too is another word ("tealights" is no typo of "headlights"; "jandals" one edit from "sandals")."""
    from rapidfuzz.distance import DamerauLevenshtein

    return key[:1] == choice[:1] or DamerauLevenshtein.distance(key, choice) <= 1


def compound_splits(word: str, known: Callable[[str], bool]) -> list[tuple[str, str]]:
    """The ways a word splits into two parts of at least ``MIN_PART`` letters that ``known`` accepts."""
    return [
        (word[:i], word[i:]) for i in range(MIN_PART, len(word) - MIN_PART + 1) if known(word[:i]) and known(word[i:])
    ]


def words_agree(key: str, choice: str, floor: float | None = None) -> bool:
    """Every word of each side is close to some word of the other: typos pass, a swapped-in word does not.

    When a space was dropped or added ("lapelpin" / "lapel pin") the word counts differ: then the words joined
    up may differ by two typos at most.
    """
    from rapidfuzz.distance import DamerauLevenshtein

    floor = WORD_FLOOR if floor is None else floor
    ours, theirs = key.split(), choice.split()
    if len(ours) != len(theirs):
        return DamerauLevenshtein.distance("".join(ours), "".join(theirs)) <= 2
    sim = DamerauLevenshtein.normalized_similarity
    return all(max(sim(w, t) for t in theirs) >= floor for w in ours) and all(
        max(sim(t, w) for w in ours) >= floor for t in theirs
    )

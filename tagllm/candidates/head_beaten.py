"""Pairs (loser, winner) of candidate values that trade probabilities after the zero-example stacker where it still
puts the loser first (``batch.outranked``, read by ``zero.keep_branches``): what the title's head says the product is
against a value the stacker's other evidence favours, the title naming the loser whole. Part of ``HeadNoun``, which
reads the title's head (``head.py``)."""

from __future__ import annotations

import re

import numpy as np

from tagllm.candidates.branches import Branches
from tagllm.candidates.head_keys import COLLECTIVE, head_key
from tagllm.candidates.title_head import HeadFinder, TitleHead
from tagllm.retrieval.labels import LabelSpace
from tagllm.text import looks_plural, normalize

HALF, FULL, SPECIFIC = 0.5, 1.0, 0.375  # head scores: a bare head, a head with its word before, an unstated kind
_WITH = re.compile(r"\bwith\b", re.IGNORECASE)
_PHRASE_END = re.compile(r"[,;|()\[\]]| - | – ")  # where a "with" phrase ends: a title's next segment


class BeatenPairs:
    """The rules pairing a value the head outranks with the head's value; ``HeadNoun`` sets these lookups."""

    space: LabelSpace
    by_word: dict[str, list[tuple[int, str]]]  # word -> (value, the word before it in the value's name)
    bare: list[bool]  # each value named by one word
    closed: list[set[str]]  # each value's two words before a head written as one
    branches: Branches
    find: HeadFinder

    def kinds_beaten(self, head: TitleHead, scores: dict[int, float]) -> list[tuple[int, int]]:
        """Pairs (loser, winner) of a value singling out a kind of the head the title does not name (scored SPECIFIC
        by ``headed_by``: "Serger Sewing Machines" for "Brother Sewing Machine") and a value naming the head as the
        title does (FULL: "Sewing Machines"). The stacker weighs the whole path's spelling above the head and put the
        serger first; after it the two trade probabilities where it still does (``zero.keep_branches``)."""
        plain = [p for p, score in scores.items() if score == FULL]
        if not plain:
            return []
        kinds = {
            p
            for p, before in self.by_word.get(head.word, ())
            if scores.get(p) == SPECIFIC and before and (before == head.before or head.before in self.closed[p])
        }
        return [(p, u) for p in kinds for u in plain]

    def bare_beaten(self, scores: dict[int, float], said: frozenset[str]) -> list[tuple[int, int]]:
        """Pairs (loser, winner) of a value named by the title's head word alone (one word, scored HALF: "Clips",
        "Starters", "Goggles") and a value whose name holds the head with the word the title puts before it (FULL:
        "Hair Pins, Claws & Clips" for "Hair Clips", "Vehicle Jump Starters" for "Car Jump Starter", "Ski & Snowboard
        Goggles" for "Ski Goggles"): the title states the compound, and the bare name is another thing of that name
        ("Hair Curler Clips & Pins > Clips"). Found in the text whole, the bare name outranked the fuller one; after
        the stacker the two trade probabilities where it still does (``zero.keep_branches``). Not where the fuller
        name's branch is one the title does not state against the bare name's (``Branches.loses``, ``said``: the
        title's words): "Men's Clothing > Casual & Party Wear Shirts" is no better than "Women's … > Shirts" for
        "Women's Solid Casual Shirt"."""
        full = [p for p, score in scores.items() if score == FULL]
        if not full:
            return []
        return [
            (p, u)
            for p, score in scores.items()
            if score == HALF and self.bare[p]
            for u in full
            if not self.branches.loses(u, p, said)
        ]

    def material_beaten(self, head: TitleHead, scores: dict[int, float]) -> list[tuple[int, int]]:
        """Pairs (loser, winner) of a value headed by a substance the head phrase names before the product's noun
        (``HeadFinder.material``: "Soy Wax" for "Soy Wax Scented Candle", "Tempered Glass" for "Tempered Glass Screen
        Protector": what the product is made of) and the values the head plainly names with the best head score. The
        substance's value is named whole in the title, and its label is as near the title as the product's: the
        stacker put it first; after it the two trade probabilities where it still does (``zero.keep_branches``)."""
        top = max(scores.values(), default=0.0)
        if top < HALF:
            return []
        winners = [p for p, score in scores.items() if score == top]
        made_of = {
            key
            for word in head.phrase.split()[:-1]
            if (key := head_key(word)) in self.find.substances and not looks_plural(word) and key != head.word
        }
        return [(p, u) for key in made_of for p, _ in self.by_word.get(key, ()) if p not in scores for u in winners]

    def parent_beaten(self, head: TitleHead, scores: dict[int, float], vector: np.ndarray) -> list[tuple[int, int]]:
        """Pairs (loser, winner) of a value named by the head word alone (one word, HALF: "Shoes") and its child headed
        by that word with a word before it the title lacks (SPECIFIC: "Athletic Shoes") nearest the head phrase
        (``vector``): "Running Shoes" are athletic shoes, a kind the bare name found whole outranked; the two trade
        probabilities where the stacker still does (``zero.keep_branches``). Only after a word before the head that is
        no shade nor attribute word: "Black Shoes", "Casual Shoes" name no kind (without this, 17 fashion titles of
        ``benchmarks/attributes.py --sections shopify`` turned wrong: shoes and handbags, 0.720 -> 0.615)."""
        if not head.before or head.before in self.find.describing or head.before in self.find.shades:
            return []
        ids = self.space.ids
        pairs = []
        for parent, score in scores.items():
            if score != HALF or not self.bare[parent]:
                continue
            kinds = [
                p
                for p, s in scores.items()
                if s == SPECIFIC and self.branches.taxonomy.values[ids[p]].parent_id == ids[parent]
            ]
            if kinds:
                labels = self.space.vectors.at(np.asarray(kinds)) if self.space.is_lazy else self.space.emb[kinds]
                pairs.append((parent, kinds[int(np.argmax(labels @ vector))]))
        return pairs

    def complement_beaten(self, head: TitleHead, title: str, scores: dict[int, float]) -> list[tuple[int, int]]:
        """Pairs (loser, winner) of a value named only in the title's "with" phrase, up to its next segment ("A4
        Laminator with 50 Laminating Pouches", "Sleeping Bag with Compression Sack": what the product comes with), and
        the values the head names with the best head score, where the head word stands right before "with". Named
        whole, with a label as near the title as the product's, the complement was put first by the stacker; after it
        the two trade probabilities where it still does (``zero.keep_branches``). The phrase ends at a comma or
        bracket: a title may name the product again after one ("Bedside Table with 2 Drawers, White Nightstand").
        Not after another word than the head ("Stone Rakhis with Thali Design Designer Rakhi", the head read as
        "stone": "with" may belong to that word, and the product be named again after), nor after a collective head
        ("Combo Set With … Necklace": what a set holds is the product)."""
        top = max(scores.values(), default=0.0)
        found = _WITH.search(title)
        if top < SPECIFIC or found is None or not head.word or head.word in COLLECTIVE:
            return []
        before = normalize(title[: found.start()])
        if not before or head_key(before.split()[-1]) != head.word:
            return []
        end = _PHRASE_END.search(title, found.end())
        phrase = normalize(title[found.end() : end.start() if end else len(title)])
        named = {self.space.position[v] for v in self.space.mentions(phrase) - self.space.mentions(before)}
        winners = [p for p, score in scores.items() if score == top]
        return [(p, u) for p in named if p not in scores for u in winners]

    def shade_beaten(self, head: TitleHead, scores: dict[int, float], title: str) -> list[tuple[int, int]]:
        """Pairs (loser, winner) of a value headed by a shade written where a title states the product's colour
        (``stated_shades``: "Cream" of "Teddy Coat, Cream", "Mustard" of "Mustard Knit Jumper") and the values the
        head plainly names with the best head score. The shade's value is named whole in the title, and the stacker
        put it first; after it the two trade probabilities where it still does (``zero.keep_branches``). Not the head
        word itself ("Orange 1kg" is an orange)."""
        top = max(scores.values(), default=0.0)
        if top < HALF:
            return []
        winners = [p for p, score in scores.items() if score == top]
        shades = stated_shades(title, self.find.shades) - {head.word}
        return [(p, u) for key in shades for p, _ in self.by_word.get(key, ()) if p not in scores for u in winners]


def stated_shades(title: str, shades: frozenset[str]) -> set[str]:
    """The shades (``head_key``s) a title writes where sellers state a colour: a segment of their own ("Teddy Coat,
    Cream", "Hoodie | Navy"), or the title's first or last word ("Mustard Knit Jumper", "Blazer in Cream"). A shade
    inside the phrase names a product or a flavour as often ("Green Tea Bags", "Peanut Butter Spread")."""
    segments = [normalize(s).split() for s in _PHRASE_END.split(title)]
    words = [w for segment in segments for w in segment]
    ends = [segment[0] for segment in segments if len(segment) == 1] + words[:1] + words[-1:]
    return {key for w in ends if (key := head_key(w)) in shades}

"""Categories for one audience ("Baby & Toddler > Swaddling & Receiving Blankets > Receiving Blankets", "Baby Toys &
Activity Equipment > Baby Jumpers"): a product is filed there only when its title names whom it is for.

A taxonomy files a kind of product for babies, kids or women under a branch that names them, and a seller of such a
product says so: "Baby Swaddle Blanket", "Kids Backpack". A title that names no person at all ("Knitted Throw
Blanket", "Grey Marl Jumper", "Universal Car Seat Covers") is for anyone, and of the values its head names alike, one
whose path names a person (Receiving Blankets, Baby Jumpers, the baby branch's Car Seat Covers) loses to one whose path
names none (Blankets, Sweaters, the vehicles' Seat Covers; ``AudienceBranches.beaten``, read by
``tagllm.candidates.head`` as its other beaten pairs are). A person is a word whose usual WordNet sense is a person of
an age or a sex (``noun_senses.person_words``: baby, toddler, kid, girl, woman), in the name of a value the category is
filed under, and ending the name of no category of the taxonomy that has none below it (``sold_words``: "Baby Rockers",
"Button Studs", "Chaps" are things it sells).
"""

from __future__ import annotations

from tagllm.candidates.branches import words_of
from tagllm.candidates.head_beaten import HALF
from tagllm.candidates.head_keys import head_key
from tagllm.candidates.noun_senses import person_words
from tagllm.taxonomy import Taxonomy, Value
from tagllm.text import normalize


class AudienceBranches:
    """Which values a title's head names sit on a branch for an audience the title does not name."""

    def __init__(self, taxonomy: Taxonomy, values: list[Value]) -> None:
        self.taxonomy = taxonomy
        self.values = values
        self.persons = person_words() - sold_words(taxonomy, values)
        self.audiences: dict[int, frozenset[str]] = {}  # read as titles need them: Shopify has 10,595 values

    def audience(self, position: int) -> frozenset[str]:
        """The person words of the names a value is filed under (the value's own name says what it is: "Stud
        Earrings" name no audience)."""
        if position not in self.audiences:
            names = [a.name for a in self.taxonomy.ancestors(self.values[position].id)]
            self.audiences[position] = frozenset().union(*(words_of(n) for n in names)) & self.persons
        return self.audiences[position]

    def beaten(self, scores: dict[int, float], said: frozenset[str]) -> list[tuple[int, int]]:
        """Pairs (loser, winner) of positions in ``scores`` (position -> head score): where the title (``said``: its
        words, ``words_of``) names no person, each value whose path names one loses to the values of the highest
        score, HALF or more and at least its own, whose paths name none."""
        if not self.persons or said & self.persons:
            return []
        plain = [p for p, score in scores.items() if score >= HALF and not self.audience(p)]
        if not plain:
            return []
        top = max(scores[p] for p in plain)
        winners = [p for p in plain if scores[p] == top]
        return [(p, u) for p, score in scores.items() if score <= top and self.audience(p) for u in winners]


def sold_words(taxonomy: Taxonomy, values: list[Value]) -> frozenset[str]:
    """The last words of the names of the values nothing is filed under (``head_key``s): what the taxonomy sells
    ("Baby Rockers": rocker), where a branch's name may end in whom its products are for ("Baby & Toddler")."""
    parents = {a for v in values for a in taxonomy.lineage(v.id)[:-1]}
    return frozenset(
        head_key(words[-1])
        for v in values
        if v.id not in parents
        for n in (v.name, *v.synonyms)
        if (words := normalize(n).split())
    )

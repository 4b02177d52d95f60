"""Which of a title's namesake values sit on a branch the title does not state (``Branches``), and the words of a
value's name that qualify it (``modifiers``): the branches a taxonomy files one kind of product under ("Clothing Tops
> Shirts", "Maternity Clothing > Maternity Tops > Shirts"), for ``tagllm.candidates.head``."""

from __future__ import annotations

from collections import defaultdict

from tagllm.candidates.head_keys import head_key, name_heads
from tagllm.taxonomy import Taxonomy, Value
from tagllm.text import IRREGULAR_PLURALS, normalize

_FUNCTION_WORDS = frozenset({"and", "or", "of", "the", "for", "with", "s"})
MAX_RIVALS = 64  # values of one head score compared pair by pair; more (a head word of hundreds of names) are not


def words_of(name: str) -> frozenset[str]:
    """The content words of a name or title, as ``head_key``s ('Women's Clothing' -> {'woman', 'clothing'}); a
    possessive written without its apostrophe, as titles write it ("Mens Wallet", "Womens Dress"), is the same word
    (its -s off leaves 'men', which ``head_key`` took for a singular)."""
    keys = (head_key(w) for w in normalize(name).split() if w not in _FUNCTION_WORDS and not w.isdigit())
    return frozenset(IRREGULAR_PLURALS.get(key, key) for key in keys)


class Branches:
    """Which values that a title's head matches alike, one name on several branches, sit on a branch the title does
    not state.

    A taxonomy files one kind of product under several branches ("Clothing Tops > Shirts", "Maternity Clothing >
    Maternity Tops > Shirts", "Baby & Toddler Tops > Shirts", "Sports Fan Accessories > T-Shirts"). What qualifies a
    branch are the modifiers of the names on its path (their words other than the heads of their conjuncts, and
    other than the value's own words: maternity, baby and toddler, sports and fan; "Handbags, Wallets & Cases" lists
    kinds and qualifies nothing). Of two values of one name, a value's qualifiers against the other are the names on
    its path holding a modifier no name on the other's path holds ("Clothing Tops" is no qualifier against
    "Maternity Clothing"). A value loses to its namesake when the title states none of
    its qualifiers and either states one of the namesake's ("Toddler Boys Fleece Hoodie": the baby and toddler
    branch) or the namesake has none against it (the plain branch, "Clothing Tops > Shirts" against the maternity
    one). Two branches that both qualify, unstated ("Sports Fan Accessories > T-Shirts", "Clothing Tops > T-Shirts"),
    are left alike: which one needs fewer words unsaid is no sign of the product."""

    def __init__(self, taxonomy: Taxonomy, values: list[Value]) -> None:
        self.taxonomy = taxonomy
        self.values = values
        self.names: dict[int, frozenset[str]] = {}  # read as titles need them: Shopify has 10,595 values
        self.paths: dict[int, tuple[list[frozenset[str]], frozenset[str]]] = {}
        self.roots: dict[int, str] = {}

    def root(self, position: int) -> str:
        """The id of the top-level value a value is filed under (its own for a top-level one)."""
        if position not in self.roots:
            self.roots[position] = self.taxonomy.lineage(self.values[position].id)[0]
        return self.roots[position]

    def name(self, position: int) -> frozenset[str]:
        if position not in self.names:
            self.names[position] = words_of(self.values[position].name)
        return self.names[position]

    def path(self, position: int) -> tuple[list[frozenset[str]], frozenset[str]]:
        """The modifiers of each name on a value's path (less the value's own words), and every word on it."""
        if position not in self.paths:
            ancestors = self.taxonomy.ancestors(self.values[position].id)
            own = self.name(position)
            self.paths[position] = (
                [modifiers(a.name) - own for a in ancestors],
                frozenset().union(*(words_of(a.name) for a in ancestors)),
            )
        return self.paths[position]

    def off(self, scores: dict[int, float], said: frozenset[str]) -> list[int]:
        """The positions in ``scores`` (position -> head score) that lose to a namesake of the same score."""
        return self.losers(self.beaten(scores, said))

    @staticmethod
    def losers(beaten: list[tuple[int, int]]) -> list[int]:
        """The losers of pairs from ``beaten``, each once."""
        return list(dict.fromkeys(v for v, _ in beaten))

    def beaten(self, scores: dict[int, float], said: frozenset[str]) -> list[tuple[int, int]]:
        """Each pair (loser, namesake it loses to) of positions in ``scores`` (position -> head score) of one name
        and the same score."""
        groups: dict[tuple[float, frozenset[str]], list[int]] = defaultdict(list)
        for position, score in scores.items():
            groups[score, self.name(position)].append(position)
        return [
            (v, u)
            for members in groups.values()
            if 1 < len(members) <= MAX_RIVALS
            for v in members
            for u in members
            if u != v and self.loses(v, u, said)
        ]

    def qualifiers(self, v: int, u: int, said: frozenset[str]) -> tuple[bool, int]:
        """Whether the title states a modifier on ``v``'s path that ``u``'s path lacks, and how many names on ``v``'s
        path hold such modifiers and none the title states."""
        distinct = [name - self.path(u)[1] for name in self.path(v)[0]]
        distinct = [words for words in distinct if words]
        return any(words & said for words in distinct), sum(not words & said for words in distinct)

    def loses(self, v: int, u: int, said: frozenset[str]) -> bool:
        v_stated, v_unstated = self.qualifiers(v, u, said)
        if v_stated:
            return False
        u_stated, u_unstated = self.qualifiers(u, v, said)
        return u_stated or (v_unstated > 0 and u_unstated == 0)


def modifiers(name: str) -> frozenset[str]:
    """A name's content words other than the heads of its conjuncts ('Maternity Tops' -> {'maternity'}, 'Baby &
    Toddler Clothing' -> {'baby', 'toddler'}, 'Handbags, Wallets & Cases' -> none)."""
    return words_of(name) - {head for head, _ in name_heads(name)}

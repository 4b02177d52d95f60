"""What the words beside a phrase's head say of the value the head names, read against the facet's value names: a
kind of it another word names ("beanie hat"), an audience the taxonomy files elsewhere ("baby cot"), a compound another
value's name holds ("stand mixer"), a word tying it to another branch ("curling wand") or to another flat value's name
("double xl"), or a description of it ("tan brown"). The modifier stage (``modifiers.py``) asks these before it takes
a value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.agreement import STOP
from tagllm.mapping.colours import survey_name
from tagllm.mapping.derived import root
from tagllm.mapping.keys import keys, stem, words_of
from tagllm.mapping.modifier_words import NEGATING
from tagllm.mapping.tables import scope
from tagllm.taxonomy import Value
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper
    from tagllm.mapping.vocabulary import FacetVocabulary


class HeadContext:
    """The modifier stage's readings of the words beside a head (or stripped from its phrase) against the facet."""

    def __init__(self, mapper: Mapper, vocab: FacetVocabulary) -> None:
        self.m = mapper
        self.vocab = vocab

    def kind_named(self, dropped: list[str], value: Value, facet: str | None) -> Value:
        """The one value under ``value`` that a dropped word names, or ``value`` itself: a word stripped as another
        facet's value (Beanie, a hat style) may name a kind of the head's category too, and then the compound is
        that kind ("beanie hat" is a Beanie, under Hats)."""
        tables = self.m.tables
        found: set[str] = set()
        for word in dropped:
            key = keys(word)[1]
            for table in (tables.names, tables.synonyms, tables.aliases):
                found |= {
                    v
                    for v in scope(table["sing"].get(key), facet)
                    if value.id in {a.id for a in self.m.taxonomy.ancestors(v)}
                }
        return self.m.values[found.pop()] if len(found) == 1 else value

    def audience_elsewhere(self, dropped: list[str], value: Value) -> bool:
        """Whether a dropped word names an audience a top-level branch of the facet is named for ("baby": Baby &
        Toddler) while no name on the value's path holds it: the taxonomy files that audience's things under values
        named for it, so the value is the same word's thing for someone else ("baby cot" is no camping Cots)."""
        audiences = self.vocab.branch_audiences(value.facet)
        if not audiences or not any(stem(w) in audiences for w in dropped):
            return False
        path = {stem(w) for v in (*self.m.taxonomy.ancestors(value.id), value) for w in normalize(v.name).split()}
        return any(stem(w) in audiences and stem(w) not in path for w in dropped)

    def vertical_rivals(self, text: str, head: str, value: Value, facet: str | None) -> frozenset[str]:
        """The values under another top-level branch than ``value`` whose names hold a word beside the head that
        describes nothing (no value of a describing facet such as materials or colours): the word may tie the phrase
        to that branch ("curling" in "curling wand": Curling Irons under Health & Beauty, not the cat toys' Wands)."""
        if facet is None or not self.m.taxonomy.facets[facet].hierarchical:
            return frozenset()
        index, describing = self.vocab.word_index(facet), self.vocab.describing(facet)
        top = self.m.taxonomy.lineage(value.id)[0]
        found: set[str] = set()
        for word in words_of(text):
            if word == head or word in STOP or keys(word)[1] in describing:
                continue
            found |= {v for v in index.get(stem(word), ()) if self.m.taxonomy.lineage(v)[0] != top}
        return frozenset(found)

    def part_of_name(self, others: list[str], value: Value, facet: str | None) -> bool:
        """Whether a word beside a flat facet's head is a word of the facet's value names (or shares its root), other
        than the head's own value: then the phrase may name another value the tables do not spell ("double xl";
        "sea salt caramel": Salted caramel), not a shade of this."""
        if facet is None:
            return False
        name = normalize(value.name).split()
        mine = {stem(w) for w in name} | {root(w) for w in name}
        own, roots = self.vocab.own_words(facet), self.vocab.own_roots(facet)
        return any(stem(w) not in mine and (stem(w) in own or root(w) not in mine and root(w) in roots) for w in others)

    def describes_head(self, others: list[str], text: str, facet: str | None) -> bool:
        """In a flat facet, whether the words beside the head describe it: adjectives ("tan brown"), colour names and
        the nouns colours are named after in a colour facet ("charcoal grey", "walnut brown"), other facets' values.
        A noun that is none of these ("croutons zipper", "vectors drum", "density cups (MDF)") makes the string
        another thing, not a shade of the head's value."""
        lexical = self.m.lexical
        wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
        colours = self.m.colour.names_colours(facet)
        describing = self.vocab.describing_facets()
        for word in others:
            if wordnet is not None and wordnet.is_adjective(word):
                continue
            if colours and (survey_name(word) is not None or wordnet is not None and wordnet.noun_synsets(word)):
                continue  # "charcoal grey"; "walnut brown", "hunter green": a colour named after a thing
            if keys(word)[1] in describing or word in NEGATING:
                continue
            return False
        return True

    def compound(self, words: list[str], vid: str, facet: str | None) -> bool:
        """Whether another value's name holds the head (the last of ``words``) and another of the words, or a word
        sharing its root: then that word names a kind, not a trait ("stand" in "stand mixer", with Stand Cement Mixers
        in the facet; "draining" in "draining rack", with Dish Racks & Drain Boards), and the head alone is too
        general."""
        index = self.vocab.word_index(facet)
        heads = index.get(stem(words[-1]), set())
        friends = {vid} | {a.id for a in self.m.taxonomy.ancestors(vid)}
        return any(
            (heads & (index.get(stem(word), set()) | index.get(root(word), set()))) - friends for word in words[:-1]
        )

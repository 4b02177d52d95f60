"""The title stage: a listing title in a category facet ("Dual Zone Air Fryer 9.5L Digital Black", "Solid Oak Coffee
Table with Drawer") read as its head phrase, then looked up by the stages that read names and modifiers.

Sellers write a product's noun phrase first and its sizes, counts, colours, features and what it comes with after it;
the other stages read a whole string as one name and reject what follows the noun. The head phrase is the one the
zero-example tagger ranks categories by (``tagllm.candidates.title_head``): the title up to its first separator,
connective ("with", "for"), measure, or attribute listed after the noun. A phrase is a guess, as a head noun is: it
must have two words or more (``MIN_PHRASE_WORDS``), the title must go on after it as titles do (``goes_on``), or
carry a measure or count in a tail of ``MEASURED_REST`` words or more (``measured_tail``: then only a value with no
children is taken), and hold no words of a sentence (``SPEECH``), the phrase must name one value by the table,
lexical, swap and modifier stages, that value's name must be headed by the phrase's head word or the word before it
("Blackout Curtains" are Curtains, "Bin Bags" Garbage Bags, a "Stick Vacuum Cleaner" is one of the Vacuums), and the
whole title must not disown it (``TITLE_AGREEMENT``). Measured in docs/mapping.md (sessions s29 and s38).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.candidates.head_keys import COLLECTIVE, head_key, is_word, name_heads
from tagllm.candidates.head_words import head_finder
from tagllm.candidates.title_head import CONNECTIVES, SEPARATOR, HeadFinder, TitleHead
from tagllm.mapping.agreement import HEAD_TRAIL, STOP, WHOLE_TRAIL, agreements, rivals_nearer
from tagllm.mapping.base import Batch, Stage, TreeStage
from tagllm.mapping.families import qualifies_shared_head
from tagllm.mapping.keys import keys, stem
from tagllm.mapping.parents import joined_parent
from tagllm.mapping.vocabulary import FacetVocabulary
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper
    from tagllm.taxonomy import Value

MIN_WORDS = 3
"""A title has a noun and something about it; one or two words are a name the other stages read."""
MIN_PHRASE_WORDS = 2
"""A head phrase of one word (function words aside) is a description of use cut at its link ("saw for cutting wood",
"ring to keep your keys together": the paraphrase stage's), or a sentence ("ships in 2 days"), more often than a
title."""
PATH = re.compile(r">|::|»")
"""Another catalogue's path: the foreign path stage's, whose first segment is no head phrase."""
SPEECH = frozenset({"you", "your", "it", "something", "someone", "thing", "things", "that", "which", "who", "i", "we"})
"""Words of a sentence that describes a thing, which listing titles do not hold."""
TITLE_AGREEMENT = 0.4
"""The whole title is at least this similar to the value its head phrase names (a title's sizes, colours and features
take it further from a category's name than a head noun's modifiers do: listing titles sat at 0.46-0.58 from their
categories where the head's bar is 0.6), and no other value is more than ``WHOLE_TRAIL`` nearer."""


class TitleStage(TreeStage):
    """In a hierarchical facet, a string of ``MIN_WORDS`` words or more whose head phrase is shorter than it: the
    phrase is looked up by ``stages``, and one value that the whole string's embedding does not disown is accepted."""

    name = "title"

    def __init__(self, mapper: Mapper, stages: list[Stage]) -> None:
        self.m = mapper
        self.stages = stages
        self.vocab = FacetVocabulary(mapper)
        self._finders: dict[str, HeadFinder] = {}

    def run_tree(self, batch: Batch, facet: str) -> None:
        plans: dict[str, TitleHead] = {}
        leaves_only: set[str] = set()  # titles read by their measured tail alone: taken only on a leaf
        for raw in batch.fresh():
            text = batch.text(raw)
            words = normalize(text).split()
            if has_cjk(text) or len(words) < MIN_WORDS or PATH.search(text):
                continue
            if SPEECH & set(words):
                continue  # "thing you boil water in", "something to grate cheese with": the paraphrase stage's
            if "&" in text and "," not in text and qualifies_shared_head(text.split("&")[0], text):
                continue  # "Food Mixer & Blender Accessories" is one name: accessories of both, no mixer
            find = self.finder(facet)
            head = find(text)
            content = [w for w in head.phrase.split() if w not in STOP]
            if len(content) < MIN_PHRASE_WORDS or head.phrase == " ".join(words):
                continue
            if goes_on(text, head.phrase, find):
                plans[raw] = head
            elif measured_tail(text, head.phrase):
                plans[raw] = head
                leaves_only.add(raw)
        if not plans:
            return
        looked = self.m.lookup({head.phrase for head in plans.values()}, facet, self.stages)
        found = {
            raw: value
            for raw, head in plans.items()
            if (outcome := looked.done.get(head.phrase)) is not None
            and (value := outcome.mapped.value) is not None
            and {head.word, head.before} & {w for n in (value.name, *value.synonyms) for w, _ in name_heads(n)}
        }
        found = {raw: self.narrowed(value, plans[raw].phrase) for raw, value in found.items()}
        found = {  # a tail read past words of unknown use may name a child the lookup read past: "Dry Dog Food …"
            raw: value for raw, value in found.items() if raw not in leaves_only or self.m.taxonomy.is_leaf(value.id)
        }
        found = {raw: value for raw, value in found.items() if not self.child_nearer(batch.text(raw), value)}
        queries = [(batch.text(raw), value.id) for raw, value in found.items()]
        rivals = [self.branch_rivals(plans[raw], value) for raw, value in found.items()]
        homonyms = rivals_nearer(self.m, queries, facet, rivals, HEAD_TRAIL)
        found = {raw: value for (raw, value), homonym in zip(found.items(), homonyms, strict=True) if not homonym}
        queries = [(batch.text(raw), value.id) for raw, value in found.items()]
        scores = agreements(self.m, queries, facet, TITLE_AGREEMENT, WHOLE_TRAIL)
        for (raw, value), score in zip(found.items(), scores, strict=True):
            if score is not None:  # "Toilet Brush and Holder Set": the part's parent, once the part agreed
                value = joined_parent(self.m.taxonomy, value, batch.text(raw))
                batch.done[raw] = self.m.accept(raw, facet, value, self.name, round(score, 4))

    def narrowed(self, value: Value, phrase: str) -> Value:
        """The one child of ``value`` whose name's words before its head the phrase all holds, one of them a word
        ``value``'s name lacks: the phrase's modifiers that the lookup read past name the kind ("canister vacuum
        cleaner" is Vacuums by its head, and Canister Vacs by its first word); else ``value``."""
        said = {head_key(w) for w in phrase.split()}
        own = {head_key(w) for w in normalize(value.name).split()}
        fits = []
        for child in self.m.taxonomy.children(value.id):
            before = {head_key(w) for w in normalize(child.name).split()[:-1] if w not in STOP}
            if before - own and before <= said:
                fits.append(child)
        return fits[0] if len(fits) == 1 else value

    def branch_rivals(self, head: TitleHead, value: Value) -> frozenset[str]:
        """The values under another top-level branch than ``value`` whose names hold a word of the head phrase other
        than its head word, one that describes nothing (no material, colour or other describing facet's value): the
        word may tie the title to that branch ("Boxing Gloves 12oz …": Boxing & MMA Gloves & Mitts under Sporting
        Goods, not the fans' Gloves that WordNet's boxing glove reaches). A word some describing facet holds makes
        none, though it too may tie a title to a branch: "Travel Cot with Mattress" stays camping's Cots, "travel"
        being a describing value of Shopify's."""
        index, describing = self.vocab.word_index(value.facet), self.vocab.describing(value.facet)
        top = self.m.taxonomy.lineage(value.id)[0]
        path = {stem(w) for v in (*self.m.taxonomy.ancestors(value.id), value) for w in normalize(v.name).split()}
        wordnet = getattr(self.m.lexical, "wordnet", None) if self.m.lexical is not None else None
        found: set[str] = set()
        for word in head.phrase.split():
            if stem(word) in path or head_key(word) == head_key(head.word) or word in STOP:
                continue  # "office chair": Office Chairs' own word, whatever Office Supplies holds
            if keys(word)[1] in describing or wordnet is not None and wordnet.is_adjective(word):
                continue  # "cordless": a trait of things in every branch, which ties a title to none
            found |= {v for v in index.get(stem(word), ()) if self.m.taxonomy.lineage(v)[0] != top}
        return frozenset(found)

    def child_nearer(self, text: str, value: Value) -> bool:
        """Whether the embedder puts a child of ``value`` nearer the whole title than ``value`` itself: the title's
        other words say which kind ("Baby Monitor with Camera …": Video Baby Monitors), and the head phrase alone
        does not; the title is left open rather than placed on the parent."""
        children = self.m.taxonomy.children(value.id)
        if not children:
            return False
        vectors = self.m.embedder.encode([text, value.name, *(c.name for c in children)])
        sims = vectors[1:] @ vectors[0]
        return bool(float(sims[1:].max()) > float(sims[0]))

    def finder(self, facet: str) -> HeadFinder:
        """The facet's head finder, built the first time a title of that facet comes."""
        if facet not in self._finders:
            self._finders[facet] = head_finder(self.m.taxonomy, facet, embed=self.m.embedder.encode)
        return self._finders[facet]


def goes_on(text: str, phrase: str, find: HeadFinder) -> bool:
    """Whether a title goes on after its head phrase as listing titles do: at a separator, or with a connective, a
    measure or count, a collective noun, or a word listed after products (a colour, a size, a broad attribute's value):
    "Blackout Curtains, 2 Panels", "Coffee Table with Drawer", "Air Fryer 9.5L Black". A phrase that other words
    follow is a phrase of a sentence: "car boot sale", "gift card balance", "gift wrapping available"."""
    if normalize(SEPARATOR.split(text)[0]) == phrase:
        return True
    whole = normalize(text)
    rest = whole.removeprefix(phrase + " ").split()
    if not rest or whole == " ".join(rest):
        return False  # the phrase is not where the title starts (a later segment's): no telling
    after = rest[0]
    return not is_word(after) or after in CONNECTIVES or head_key(after) in COLLECTIVE or find.listed(after)


MEASURED_REST = 4
"""Words after the head phrase, one of them a measure, size or count, that make a listing title's tail however it goes
on ("Fitted Bed Sheet Double 100% Cotton", "LED Desk Lamp Dimmable ... 5 Colour Modes"): sellers list features before
sizes; a sentence seldom carries a number that far after its noun ("car boot sale", "gift card balance" carry none)."""


def measured_tail(text: str, phrase: str) -> bool:
    """Whether ``MEASURED_REST`` words or more follow the head phrase at the title's start, a measure or count among
    them: a listing title's tail, whatever word comes first ("Dimmable", "Bagless", "Hands Free")."""
    whole = normalize(text).split()
    rest = " ".join(whole).removeprefix(phrase + " ").split()
    return rest != whole and len(rest) >= MEASURED_REST and not all(is_word(w) for w in rest)

"""What the modifier stage checks before it takes a value, beyond the head's rules (``modifiers.py``): a phrase that
WordNet reads as a shelf, a material said only to look or feel like one or not to be itself, two materials named
together, a compound WordNet knows as a thing far from the value's path, a value narrowed to an audience the string
does not name."""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from tagllm.mapping.agreement import STOP
from tagllm.mapping.base import Batch, Outcome
from tagllm.mapping.derived import root
from tagllm.mapping.keys import keys, stem, words_of
from tagllm.mapping.landing import MIN_LANDING_DEPTH
from tagllm.mapping.modifier_words import LOOKALIKE, NEGATING, QUANTITY_WORDS
from tagllm.mapping.repeats import AUDIENCE_QUALIFIERS, qualifiers
from tagllm.taxonomy import Value
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper
    from tagllm.mapping.vocabulary import FacetVocabulary
    from tagllm.mapping.wordnet import WordNet

WORDNET_METHODS = frozenset({"lexical", "swap"})
"""The naming stages that read a phrase through WordNet's senses rather than by a value's own name."""


def shelf(mapper: Mapper, vocab: FacetVocabulary, outcome: Outcome, others: list[str], facet: str | None) -> bool:
    """Whether a phrase left after stripping reached, by WordNet rather than by a name, a value fewer than
    ``MIN_LANDING_DEPTH`` levels deep while another word of the string says which kind ("fizzy" in "fizzy
    drinks"): such a value is the shelf of every kind (Food, Beverages & Tobacco > Beverages), as for a landing
    by hypernym. A material, colour or other describing facet's value says no kind ("leather couch" is Sofas)."""
    value = outcome.mapped.value
    if value is None or outcome.mapped.method not in WORDNET_METHODS:
        return False
    if len(mapper.taxonomy.ancestors(value.id)) >= MIN_LANDING_DEPTH:
        return False
    describing = vocab.describing(facet)
    return any(
        any(ch.isalpha() for ch in word) and keys(word)[1] not in describing and stem(word) not in describing
        for word in others
    )


def reject_lookalikes(mapper: Mapper, batch: Batch, plans: dict[str, list[str]]) -> None:
    """In a facet of materials, rejects the strings that end in a look-alike word after words naming a value
    ("cotton feel", "leather look"): the thing only looks or feels like the material, and no later guess (the
    embedder puts "cotton feel" near Cotton) may take it for it."""
    fronts = {raw: [t for t in normalize(batch.text(raw)).split() if t != "s"] for raw in plans}
    fronts = {raw: w[:-1] for raw, w in fronts.items() if len(w) > 1 and w[-1] in LOOKALIKE}
    found = mapper.lookup([" ".join(w) for w in fronts.values()], batch.facet)
    for raw, words in fronts.items():
        outcome = found.done.get(" ".join(words))
        if outcome is not None and outcome.mapped.value is not None:
            name = outcome.mapped.value.name
            reason = f"{batch.text(raw)!r} only looks like {name!r}: no value of facet {batch.facet!r}"
            batch.done[raw] = mapper.reject(raw, batch.facet, reason)
            del plans[raw]


def other_material(mapper: Mapper, vocab: FacetVocabulary, others: list[str], facet: str | None) -> bool:
    """In a facet of materials (one with a "Faux …" value), whether a word beside the head names a material of
    another facet of materials that this facet lacks ("PU" in "PU leather": Polyurethane (PU)): two materials
    named together are an imitation or a blend, not the head's material."""
    if facet is None or not vocab.has_faux(facet) or not others:
        return False
    found = mapper.lookup(others, None)
    for outcome in found.done.values():
        ids = outcome.candidates or ((outcome.mapped.value.id,) if outcome.mapped.value is not None else ())
        facets = {mapper.values[v].facet for v in ids}
        if facet not in facets and any(vocab.has_faux(f) for f in facets):
            return True
    return False


SENSE_DEPTH = 4
"""How far up WordNet's kinds a compound's sense is followed to find a word of the value's path."""
KIND_DEPTH = 2
"""A compound's sense this few levels below a sense the head's word names is a kind of the head ("wellington boot" is
a boot): the head names it, whatever words the value's path uses."""


def sense_disagrees(mapper: Mapper, modifier: str, head: str, vid: str) -> bool:
    """Whether WordNet reads the head and the word before it as one thing ("hair grip": a hairgrip, a bobby pin;
    "face flannel": a face cloth) whose every such sense is far from the value's path: no kind of the head's word in
    the sense the value means (``_kind_of_head``), and no word of the sense, or of its kinds up to ``SENSE_DEPTH``
    levels, is a word of the value's name or of its ancestors' names (the head's own word aside). Then the head names
    the value only as a homonym (a tool's Grips, the Flannel fabric). False when WordNet knows no such sense, or
    without WordNet."""
    lexical = mapper.lexical
    wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
    if wordnet is None:
        return False
    mine = stem(head)
    senses = {*wordnet.noun_synsets(f"{modifier} {head}"), *wordnet.noun_synsets(modifier + head)}
    senses |= {
        s
        for s in wordnet.noun_senses(head)
        if any(stem(w) == stem(modifier) for lemma in wordnet.synset(s).lemmas for w in lemma.split())
    }
    if not senses:
        return False
    path = {stem(w) for v in (*mapper.taxonomy.ancestors(vid), mapper.values[vid]) for w in normalize(v.name).split()}
    path -= {mine}
    return not any(
        _kind_of_head(wordnet, s, head, path)
        or (wordnet.synset(s).words | wordnet.hypernym_words(s, SENSE_DEPTH)) & path
        for s in senses
    )


def _kind_of_head(wordnet: WordNet, sense: str, head: str, path: set[str]) -> bool:
    """Whether a compound's sense is a kind (``KIND_DEPTH`` levels) of the sense of the head's word the value means:
    the word's first sense, or one that reaches the value's path (``SENSE_DEPTH``). A "wellington boot" is a boot,
    the word's first sense; a "number plate" is a plate of metal, a rarer sense, far from Dinnerware's Plates."""
    mine = stem(head)
    first = wordnet.noun_senses(head)[:1]
    return any(
        kind in first or (wordnet.synset(kind).words | wordnet.hypernym_words(kind, SENSE_DEPTH)) & path
        for kind in islice(wordnet.climb(sense, KIND_DEPTH), 1, None)
        if mine in wordnet.synset(kind).words
    )


PERSON_LEXFILE = "18"
"""WordNet's noun.person: a head that is also someone's name or trade (Hoover, a toaster who proposes toasts) is no
homonym a product's modifier chooses between."""
MODIFIER_DEPTH = 6
"""How far up WordNet's kinds the senses of a noun before a homonym head are followed to find a word of the path."""


def homonym_far_from_path(mapper: Mapper, modifier: str, head: str, vid: str) -> bool:
    """Whether a two-word phrase names the value only by a homonym of its head: the head is a word WordNet files under
    several kinds of noun, people aside (a cooler is a container and a drink, a ring jewellery and a sound), the word
    before it is a noun, no adjective, and none of its senses, nor their kinds up to ``MODIFIER_DEPTH`` levels, holds
    a word of the value's name or of its ancestors' names. Such a noun says which thing of the head's name is meant,
    and the path does not say it is this one: "swamp cooler" is no picnic Coolers, "sun cream" no dairy Cream. False
    where WordNet knows the two words as one thing (``sense_disagrees`` reads those: a "wedding ring" is a ring), for
    a word WordNet does not know as a noun, or without WordNet."""
    lexical = mapper.lexical
    wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
    if wordnet is None or wordnet.is_adjective(modifier):
        return False
    if wordnet.noun_synsets(f"{modifier} {head}") or wordnet.noun_synsets(modifier + head):
        return False
    senses = wordnet.noun_senses(modifier)
    kinds = {wordnet.synset(s).lexfile for s in wordnet.noun_senses(head)} - {PERSON_LEXFILE}
    if not senses or len(kinds) < 2:
        return False
    path = {stem(w) for v in (*mapper.taxonomy.ancestors(vid), mapper.values[vid]) for w in normalize(v.name).split()}
    return not any((wordnet.synset(s).words | wordnet.hypernym_words(s, MODIFIER_DEPTH)) & path for s in senses)


MIN_WORD = 3
"""A shorter word beside a head is a code or an abbreviation ("GP saddle", "XL tee"), no noun saying what it is for."""
MADE_OF = ("material", "fabric", "color", "colour")
"""Facets whose values say what a thing is made of or its colour: beside a head they describe it, never which it is."""


def audience_unsaid(mapper: Mapper, vocab: FacetVocabulary, tokens: list[str], beside: list[str], vid: str) -> bool:
    """Whether the value sits in a branch narrowed to an audience (a pet's, a baby's: ``repeats.AUDIENCE_QUALIFIERS``)
    that no word of the string names, while a word ``beside`` the words that named it names a thing (``_names_thing``:
    "car", "trekking"), of three letters or more (two are a code: "GP"), no material or colour (``MADE_OF``) nor
    count ("pack"), and no word of the value's path. The taxonomy files an
    audience's things under names that say it, so the narrowed value is the head's thing for that audience; a word
    the path does not hold says the string's thing is for something else: "trekking poles" are no pets' agility Poles,
    "car perfume" no pets' Perfumes ("pack of nappies" is still Diapers, "bottle steriliser" Sterilizers under Bottle
    Warmers & Sterilizers, "synthetic GP saddle" Saddles under Horse Tack, "retractable leash" and "western saddle":
    words that describe the head)."""
    taxonomy = mapper.taxonomy
    if not qualifiers(taxonomy, vid) & AUDIENCE_QUALIFIERS:
        return False
    if any(stem(t) in AUDIENCE_QUALIFIERS for t in tokens):
        return False  # an audience named: whether it is the path's is the audience checks' to say
    lexical = mapper.lexical
    wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
    if wordnet is None:
        return False
    path = {stem(w) for v in (*taxonomy.ancestors(vid), taxonomy.values[vid]) for w in normalize(v.name).split()}
    describing = vocab.describing_facets()
    return any(
        w.isalpha()
        and w not in STOP
        and w not in QUANTITY_WORDS
        and stem(w) not in path
        and len(w) >= MIN_WORD
        and _names_thing(wordnet, w)
        and not any(kind in facet for facet in describing.get(keys(w)[1], ()) for kind in MADE_OF)
        for w in beside
    )


def faux_reading(mapper: Mapper, vocab: FacetVocabulary, text: str, value: Value, facet: str | None) -> Value | None:
    """A material said not to be itself ("vegan leather", "fake fur"): the facet's "Faux …" value, or None when
    the facet has none; the value itself when nothing negates it (or the facet is hierarchical: "faux fur rug")."""
    words = set(normalize(text).split())
    if facet is not None and mapper.taxonomy.facets[facet].hierarchical:
        return value
    if not words & NEGATING and not looks_like(vocab, text, value, facet):
        return value
    if words & set(normalize(value.name).split()) & NEGATING:
        return value
    found = mapper.lookup([f"faux {value.name}"], facet, mapper.lookups[:2]).done.get(f"faux {value.name}")
    return found.mapped.value if found is not None else None


def looks_like(vocab: FacetVocabulary, text: str, value: Value, facet: str | None) -> bool:
    """In a facet of materials (one with a "Faux …" value), whether a word right after the value's name says the
    thing only looks like it ("gold tone", "leather look", "wood effect"); "two tone leather" is leather."""
    if facet is None or not vocab.has_faux(facet):
        return False
    tokens = words_of(text)
    name = {stem(w) for w in normalize(value.name).split()}
    return any(tokens[i] in LOOKALIKE and stem(tokens[i - 1]) in name for i in range(1, len(tokens)))


def _names_thing(wordnet: WordNet, word: str) -> bool:
    """Whether a word beside a head names a thing the head may be for: WordNet knows it, or its root ("trekking": a
    trek), as a noun, and not as an adjective too. An adjective describes the head itself ("retractable leash",
    "western saddle", "automatic feeder"), whoever it is for."""
    return not wordnet.is_adjective(word) and bool(wordnet.noun_synsets(word) or wordnet.noun_synsets(root(word)))

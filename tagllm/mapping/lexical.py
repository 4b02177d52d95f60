"""The lexical stage: WordNet synonyms and hypernyms, under a strict check (the reader is ``wordnet.py``).

WordNet is read only when a string reaches this stage. Install with ``pip install 'tagllm[lexicon]'``; without it the
stage passes every string on.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.mapping.agreement import (
    STOP,
    WHOLE_TRAIL,
    agreements,
    content_stems,
    modifier_rivals,
    named_rivals,
    nearer_namesakes,
    rivals_nearer,
)
from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.describing import describes
from tagllm.mapping.glosses import glosses
from tagllm.mapping.keys import keys, stem, words_of
from tagllm.mapping.landing import Landing
from tagllm.mapping.modifier_checks import audience_unsaid
from tagllm.mapping.repeats import general_value
from tagllm.mapping.tables import scope
from tagllm.mapping.vocabulary import FacetVocabulary
from tagllm.mapping.wordnet import LexiconMissing, WordNet, data_dir
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

NAMED_TRAIL = 0.05
"""A landing in a category is dropped when a value whose name holds the string's own words is more than this nearer
the string (sentence embeddings): the taxonomy's use of the word outranks a WordNet sense of it."""
SENSE_FLOOR = 0.5
"""A climb the whole string does not agree with is still taken when its sense's names and definition are at least this
similar to the value, and nearer it than to any other value."""
LIST = re.compile(r"[,;，；、]")


class LexicalStage(Stage):
    """A word WordNet knows, landed on exactly one value of the facet by its synonyms or, failing that, hypernyms
    (``landing.py``), under the checks of the facet's words and, in a category, of the embedder."""

    name = "lexical"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self._wordnet: WordNet | None = None
        self._landing: Landing | None = None
        self.missing: str | None = None
        self.vocab = FacetVocabulary(mapper)

    @property
    def wordnet(self) -> WordNet | None:
        if self._wordnet is None and self.missing is None:
            try:
                self._wordnet = WordNet.load(self.m.cache_dir)
                self._landing = Landing(self.m, self._wordnet)
            except LexiconMissing as exc:
                self.missing = str(exc)
        return self._wordnet

    def run(self, batch: Batch) -> None:
        # strings found only in another facet come too: "Aubergine" is a plant name in Shopify, and an eggplant
        texts = batch.open()
        wordnet = self.wordnet
        if not texts or wordnet is None:
            return
        hierarchical = batch.facet is None or self.m.taxonomy.facets[batch.facet].hierarchical
        landed: list[tuple[str, str]] = []  # one landing in a category: the embedder's checks, over the batch at once
        climbs: list[tuple[str, str]] = []  # ... and those by hypernym, which face a check of their own first
        for raw in texts:
            text = batch.text(raw)
            if LIST.search(text):
                continue  # "Blue, Green" is two values, not the colour blue-green: the parts are tried apart
            if hierarchical and raw in batch.elsewhere and describes(self.m, batch.elsewhere[raw]):
                continue  # "pink" in a category is the colour, not the flower
            if self._names_facet(text, batch.facet):
                continue  # "material" names the facet, not one of its values (WordNet: a material is a fabric)
            ids, climbed = self.landing(text, batch.facet)
            general = general_value(self.m.taxonomy, ids) if hierarchical else None
            ids = [general] if general is not None else ids  # "jumpers": Clothing Tops' Sweaters, not the baby ones
            kept = [v for v in ids if not (hierarchical and self._audience_unsaid(text, v))]
            if ids and not kept:
                continue  # "goldfish bowl": a bowl, and no pet's feeding Bowls; other landings (Aquariums) are kept
            ids = kept
            if hierarchical and len(ids) == 1:
                ids += self._kinds_named(text, ids[0], batch.facet)  # "polo shirt": Polos as well as Shirts
            if not hierarchical and ids and self._head_disagrees(text, ids, batch.facet):
                continue  # "brick red" is no Brown, "ash grey" no Silver: the last word names the value
            if len(ids) > 1 and self.m.use_embeddings:
                chosen = self.m.tie_break(text, ids)
                if chosen is None and hierarchical and not climbed:
                    chosen = self._told_choice(text, ids, batch.facet)  # "blow dryer": Hair Dryers, not Hand Dryers
                if chosen is not None:
                    batch.done[raw] = self.m.accept(raw, batch.facet, self.m.values[chosen[0]], self.name, chosen[1])
                    continue
            if len(ids) == 1 and hierarchical:
                (climbs if climbed else landed).append((raw, ids[0]))  # checked together below
            elif len(ids) == 1:
                batch.done[raw] = self.m.accept(raw, batch.facet, self.m.values[ids[0]], self.name)
            elif ids:
                batch.candidates.setdefault(raw, tuple(ids))
        queries = [(batch.text(raw), vid) for raw, vid in climbs]
        # "serviettes" -> table linen, "crumpets" -> cake: a hypernym is a broader thing; the embedder must not put
        # another value (a narrower one) far nearer the string
        far = agreements(self.m, queries, batch.facet, -1.0, WHOLE_TRAIL)
        landed += [
            (raw, vid)
            for (raw, vid), near in zip(climbs, far, strict=True)
            if near is not None or not self.m.use_embeddings
        ]
        # a rare word's own embedding says little ("eiderdown" is nearest E-Books): its sense's names and definition
        # say what it is ("eiderdown, duvet, continental quilt: a soft quilt ..."), and must put the value first
        unsure = [(raw, vid) for (raw, vid), near in zip(climbs, far, strict=True) if near is None]
        landed += self._defined(batch, unsure)
        # "tops": WordNet's spinning top is a rare sense of the word, which Clothing Tops and Tank Tops name as well
        rare = [(raw, vid) for raw, vid in landed if self._rare_namesake(batch.text(raw), vid, batch.facet)]
        queries = [(batch.text(raw), vid) for raw, vid in rare]
        for (raw, vid), nearer in zip(rare, nearer_namesakes(self.m, queries, batch.facet), strict=True):
            if nearer:  # the values it names are candidates a path's ancestors may still choose among
                batch.candidates.setdefault(raw, (vid, *sorted(nearer)))
                landed.remove((raw, vid))
        landed = self._modifier_named(batch, landed)
        queries = [(batch.text(raw), vid) for raw, vid in landed]
        vetoes = named_rivals(self.m, queries, batch.facet, NAMED_TRAIL, wordnet.is_adjective)
        for (raw, vid), vetoed in zip(landed, vetoes, strict=True):
            if vetoed:  # "kettle": WordNet's kettle is a boiler; the taxonomy's own Electric Kettles is far nearer
                batch.vetoed[raw] = (vid,)  # still a word that names a value: "cooker hood" is no car's Hoods
            else:
                batch.done[raw] = self.m.accept(raw, batch.facet, self.m.values[vid], self.name)

    def _modifier_named(self, batch: Batch, landed: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The landings a compound's modifier does not overrule: where the value gives the head another modifier
        of its own, a value whose name holds the string's modifier must not be nearer the string
        (``agreement.modifier_rivals``): WordNet's smoke alarm is a fire alarm, but Smoke Detectors is nearer."""
        describing = self.vocab.describing(batch.facet)
        rivals = [modifier_rivals(self.m, batch.text(raw), vid, batch.facet, describing) for raw, vid in landed]
        queries = [(batch.text(raw), vid) for raw, vid in landed]
        kept: list[tuple[str, str]] = []
        for (raw, vid), nearer in zip(landed, rivals_nearer(self.m, queries, batch.facet, rivals, 0.0), strict=True):
            if nearer:
                batch.vetoed[raw] = (vid,)
            else:
                kept.append((raw, vid))
        return kept

    def _defined(self, batch: Batch, climbs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The climbs whose landing sense, told by its names and WordNet's definition, is nearer their value than any
        other value (``SENSE_FLOOR`` at least): a word no adjective ("generic" is mostly one) and no clipping of
        another name of its sense ("mac" for mackintosh is as often a computer)."""
        if not self.m.use_embeddings or self._landing is None or batch.facet is None:
            return []
        told: list[tuple[str, str]] = []
        asked: list[tuple[str, str]] = []
        for raw, vid in climbs:
            text = self._told(batch.text(raw))
            if text is not None:
                told.append((raw, vid))
                asked.append((text, vid))
        found = agreements(self.m, asked, batch.facet, SENSE_FLOOR, 0.0)
        return [pair for pair, near in zip(told, found, strict=True) if near is not None]

    def _told_choice(self, text: str, ids: list[str], facet: str | None) -> tuple[str, float] | None:
        """The value among ``ids`` that the embedder puts nearest the names and definition of the one sense of the
        string whose lemmas name them all ("blow dryer, hair dryer…: a hand-held electric blower that can blow warm
        air onto the hair"), when it leads as a tie-break must; None when several senses name them, or some of them
        come from another word ("polo shirt": Polos is named by "polo", not by the sense)."""
        assert self._landing is not None
        senses = self._landing.naming_senses(text, facet, ids)
        if len(senses) != 1 or not self._landing.names_all(senses[0], text, facet, ids):
            return None
        told = self._told(text, senses[0])
        return None if told is None else self.m.tie_break(told, ids)

    def _told(self, text: str, sense: str | None = None) -> str | None:
        """A sense of the string (by default the one a climb takes, ``Landing.climbing_sense``) as its names and
        definition, or None for a word WordNet knows as an adjective or a clipping of another name of the sense."""
        assert self._landing is not None and self._wordnet is not None
        word = normalize(text)
        sense = sense if sense is not None else self._landing.climbing_sense(text)
        if sense is None or self._wordnet.is_adjective(word):
            return None
        lemmas = self._wordnet.synset(sense).lemmas
        if any(lemma != word and lemma.startswith(word) for lemma in lemmas):
            return None
        definition = glosses(data_dir()).get(sense, "")
        return f"{', '.join(lemmas)}: {definition}" if definition else None

    def _audience_unsaid(self, text: str, vid: str) -> bool:
        """Whether a phrase whose head a word of the value's name is lands on a value narrowed to an audience the
        phrase does not name, beside a word the value's path lacks (``modifier_checks.audience_unsaid``, the modifier
        stage's check): WordNet's "goldfish bowl" is a bowl, and Pet Supplies' Bowls are a pet's feeding bowls. A
        string WordNet reads whole as the value's synonym ("nappies": Diapers) has no word beside a name's."""
        tokens = words_of(text)
        name = {stem(w) for w in normalize(self.m.values[vid].name).split()}
        if len(tokens) < 2 or stem(tokens[-1]) not in name:
            return False
        beside = [t for t in tokens if stem(t) not in name]
        return audience_unsaid(self.m, self.vocab, tokens, beside, vid)

    def _kinds_named(self, text: str, vid: str, facet: str | None) -> list[str]:
        """The values a word before the head names that are kinds beside or under the landing ``vid`` (its siblings
        or descendants): in an English compound the modifier may itself name the kind, the head only its class ("polo
        shirt": Polos beside Shirts; "beanie hat": Beanies under Hats), so the landing alone is no reading of it."""
        words = [w for w in normalize(text).split()[:-1] if w not in STOP and any(ch.isalpha() for ch in w)]
        if not words or facet is None:
            return []
        taxonomy, tables = self.m.taxonomy, self.m.tables
        parent = self.m.values[vid].parent_id
        found: set[str] = set()
        for word in words:
            key = keys(word)[1]
            for table in (tables.names, tables.synonyms, tables.aliases):
                found |= set(scope(table["sing"].get(key), facet))
        return sorted(
            v
            for v in found - {vid}
            if self.m.values[v].parent_id == parent or vid in {a.id for a in taxonomy.ancestors(v)}
        )

    def _rare_namesake(self, text: str, vid: str, facet: str | None) -> bool:
        """Whether the value's name holds every word of the string, and only a rare sense of the string lands on it:
        the word is one the taxonomy's values share, and WordNet's pick among them is no reading of it."""
        words = content_stems(text)
        return (
            bool(words)
            and words <= content_stems(self.m.values[vid].name)
            and self._landing is not None
            and not self._landing.by_common_sense(text, vid, facet)
        )

    def _names_facet(self, text: str, facet: str | None) -> bool:
        """Whether every word of the string is a word of the facet's own name or title ("material", "colour")."""
        if facet is None:
            return False
        spec = self.m.taxonomy.facets[facet]
        own = {stem(w) for name in (spec.name, spec.title) for w in normalize(name.replace("-", " ")).split()}
        if own & {"color", "colour"}:
            own |= {"color", "colour"}
        words = {stem(w) for w in normalize(text).split()}
        return bool(words) and words <= own

    def _head_disagrees(self, text: str, ids: list[str], facet: str | None) -> bool:
        """Whether the last word of a phrase names other values than WordNet's landing ``ids``, and the landing is
        not a value that another word of the phrase names ("navy blue": WordNet's navy, a word of the phrase)."""
        named = self._head_values(text, facet)
        if not named or set(named) == set(ids):
            return False
        words = {stem(w) for w in normalize(text).split()}
        return not all({stem(w) for w in normalize(self.m.values[v].name).split()} <= words for v in ids)

    def _head_values(self, text: str, facet: str | None) -> list[str]:
        """The values the last word of a phrase of several words names in ``facet`` ("red" in "brick red")."""
        words = normalize(text).split()
        if len(words) < 2:
            return []
        tables = self.m.tables
        key = keys(words[-1])[1]
        for table in (tables.names, tables.synonyms, tables.aliases):
            found = scope(table["sing"].get(key), facet)
            if found:
                return found
        return self.land(words[-1], facet)  # "ash grey": grey is WordNet's gray

    def land(self, text: str, facet: str | None) -> list[str]:
        """The values WordNet's senses of ``text`` land on (``landing`` without how)."""
        return self.landing(text, facet)[0]

    def landing(self, text: str, facet: str | None) -> tuple[list[str], bool]:
        """The values WordNet's senses of ``text`` land on, and whether by hypernym; nothing without WordNet."""
        if self.wordnet is None or self._landing is None:
            return [], False
        return self._landing.landing(text, facet)

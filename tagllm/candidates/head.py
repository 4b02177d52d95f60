"""What the product is: the head of its title (``title_head``), the evidence that tells the product from what it is
for or goes with, when no example says which category a title belongs to.

Columns, per candidate value:
- ``head``: the product's head word heads the value's own name (one of its conjuncts: "Shirts, Tops & Tunics" is
  headed by shirt, top and tunic), 0.5 (or by one of the head word's other names, when the word plainly heads no
  value's name: "Jumper" heads Sweaters by WordNet, ``tagllm.candidates.synonyms``); and the word before it agrees too
  ("t shirt" in title and name; the name's two words before its head written as one: "Crossbody Bag" and "Cross Body
  Bags"), 1.0; the name puts a word before the head that the head phrase does not hold (a kind of it the title does
  not name: "Baguette Handbags", "Panty Socks" for "Women Green Handbag", "Pack of 3 Socks"; or words before those two
  that the title lacks, "Serger Sewing Machines" for "Brother Sewing Machine", where "Sewing Machines" is a value
  too), 0.375; the word before the head heads the value's name ("spatula set", "toothbrush holder": what the set
  holds), 0.25, unless the value is filed under one the head names, or named by that word alone beside one, 1.0 (a
  kind of it the title names: "Beanie Hat" is Hats > Beanies, "Polo Shirt" Polos beside Shirts; ``HeadNoun.kinds``);
- ``head_emb``: cosine of the head phrase's embedding to the value's (its path): the title without the words
  about use and compatibility;
- ``aside``: the value is named in the text, but its name is not headed by the title's head word (it is named
  outside the head phrase, or as a modifier in it: a brand that is also a category's name), or, in Chinese, only
  right before another name: what the product is for, goes with or is made by; a value whose name is headed by
  another word of the title and not by its head word (the brand "Locomotive" of "Locomotive Men Check Shirts" heads
  "Express Locomotives"; "Dishwasher" heads "Dishwashers"), when the title's head heads some name; a value whose
  name holds the title's head word as a modifier ("Yoga Mat Straps", "Tent Footprints": a part of the product or what
  goes with it), or another word of the title while none of its words heads it ("Men's Undershirts" for a men's
  T-shirt), filed under the top-level branch of a value the head plainly names (``HeadNoun.parts``); and a value
  the head matches on a branch the title does not state, where its namesake sits on the plain branch or one the
  title states ("Maternity Clothing > Maternity Tops > Shirts" for "Women White Printed Shirt", against "Clothing
  Tops > Shirts": ``Branches``), or on a branch for an audience a title naming no person does not name, where a
  namesake's path names none ("Baby & Toddler > ... > Receiving Blankets" for a throw blanket, against "Bedding >
  Blankets": ``tagllm.candidates.audience``). The head score is left as it is: the stacker reads it by rank, and a
  lowered score would lift other values to second place.

The family reads titles only and is built for a hierarchical facet that no example carries (the category of a
taxonomy used with no examples): where examples carry the facet, their votes already say what products are.
"""

from __future__ import annotations

import re

import numpy as np

from tagllm.candidates.audience import AudienceBranches
from tagllm.candidates.base import (
    TOP_PER_SIGNAL,
    Batch,
    Candidates,
    Evidence,
    FacetData,
    Family,
    top_keys,
    values_at,
)
from tagllm.candidates.branches import Branches, modifiers, words_of
from tagllm.candidates.head_beaten import FULL, HALF, SPECIFIC, BeatenPairs
from tagllm.candidates.head_keys import COLLECTIVE, MIN_HEAD_LETTERS, category_heads, head_key
from tagllm.candidates.head_vectors import PhraseVectors
from tagllm.candidates.head_words import head_finder
from tagllm.candidates.labels import lazy_similarity
from tagllm.candidates.name_kinds import closed_modifiers, kind_words, spelling_key
from tagllm.candidates.synonyms import synonyms
from tagllm.candidates.title_head import TitleHead
from tagllm.text import has_cjk, looks_plural, normalize

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
MODIFIER = 0.25  # the head scores: FULL, HALF, SPECIFIC (``head_beaten``) and this
# How much nearer the title the first reading's best label must be than the rightmost reading's to be taken: the
# rightmost reading stays unless the other is plainly better. Taken whenever nearer, it turned 6 of the 161 fashion
# titles of `benchmarks/attributes.py --sections shopify` wrong, 5 of them nearer by less than this and most of them
# a brand's word or a part's ("Flying Machine Men HS Grey Tshirts", "Police Men Black Dial Chronograph Watch"), and
# one hand-written title ("Classic Fit Oxford Button-Down Shirt" read as Buttons, nearer by 0.061).
READING_MARGIN = 0.1


class HeadNoun(BeatenPairs, Family):
    columns = ("head", "head_emb", "aside")
    relative = ("head_emb",)

    def __init__(self, data: FacetData) -> None:
        self.space = data.space
        self.facet = data.facet
        values = data.taxonomy.facet_values(data.facet)
        heads = [set().union(*(category_heads(n) for n in (v.name, *v.synonyms))) for v in values]
        self.by_word: dict[str, list[tuple[int, str]]] = {}
        for position, pairs in enumerate(heads):
            for word, before in pairs:
                self.by_word.setdefault(word, []).append((position, before))
        self.head_words = [{w for w, _ in named} for named in heads]  # each value's head words
        self.bare = [len(normalize(v.name).split()) == 1 for v in values]  # named by one word ("Clips")
        # each value's words singling out a kind of its head ("Serger Sewing Machines": serger), where its synonyms
        # all single one out: a synonym without one names the plain kind
        self.kind_words = [_shared_kinds([kind_words(n) for n in (v.name, *v.synonyms)]) for v in values]
        # each value's two words before a head written as one ("Cross Body Bags": crossbody)
        self.closed = [set().union(*(closed_modifiers(n) for n in (v.name, *v.synonyms))) for v in values]
        self.modified: dict[str, list[int]] = {}  # word -> values whose names hold it, not as a head
        for position, value in enumerate(values):
            for word in set().union(*(modifiers(n) for n in (value.name, *value.synonyms))):
                self.modified.setdefault(word, []).append(position)
        assert data.embedder is not None  # ``build`` makes none without one
        self.find = head_finder(data.taxonomy, data.facet, embed=data.embedder.encode)
        self.branches = Branches(data.taxonomy, values)
        self.audiences = AudienceBranches(data.taxonomy, values)
        self.phrase_vectors = PhraseVectors(data.embedder)

    @classmethod
    def build(cls, data: FacetData) -> HeadNoun | None:
        if not data.tables.hierarchical or data.classes is not None or data.embedder is None:
            return None
        return cls(data)

    def read(self, batch: Batch) -> Evidence:
        size = self.space.size
        titles = [text.split("\n", 1)[0] for text in batch.texts]
        found = [self.reading(self.find(t), batch.emb[row]) for row, t in enumerate(titles)]
        phrases = [self.plain_phrase(h, words_of(t)) or t for h, t in zip(found, titles, strict=True)]
        vectors = self.phrase_vectors(phrases, batch.texts, batch.emb)
        lazy = self.space.is_lazy
        similarity = None if lazy else vectors @ self.space.emb.T
        head_keys: list[int] = []
        head_values: list[float] = []
        aside_keys: list[int] = []
        losers: list[int] = []  # a value on a branch the title does not state, and its namesake (Branches); a bare
        # name, and a name holding the title's compound (bare_beaten)
        winners: list[int] = []
        for row, (head, norm, title) in enumerate(zip(found, batch.normalized, titles, strict=True)):
            words = words_of(title)
            best = self.headed(head, words)
            kinds = self.kinds(head, best)
            beaten = self.branches.beaten(best, words) + self.bare_beaten(best, words) + self.kinds_beaten(head, best)
            beaten += self.material_beaten(head, best) + self.parent_beaten(head, best, vectors[row])
            beaten += self.complement_beaten(head, title, best) + self.audiences.beaten(best, words)
            beaten += self.shade_beaten(head, best, title)
            losers += [row * size + v for v, _ in beaten]
            winners += [row * size + u for _, u in beaten]
            off = self.branches.losers(beaten)
            if head.word in self.by_word:  # values headed by another word of the title: a brand, what it goes with
                off += [p for w in words - {head.word} for p, _ in self.by_word.get(w, ()) if p not in best]
                off += self.parts(head.word, best, words)
            for position, _ in self.by_word.get(head.before, ()) if head.before else ():
                best[position] = FULL if position in kinds else max(best.get(position, 0.0), MODIFIER)
            head_keys += [row * size + p for p in best]
            head_values += list(best.values())
            aside = [self.space.position[v] for v in self.aside(head, norm)] + off
            aside_keys += [row * size + p for p in aside if p not in kinds]
        batch.outranked[self.facet] = (np.asarray(losers, np.int64), np.asarray(winners, np.int64))
        head_array, aside_array = np.asarray(head_keys, np.int64), np.unique(np.asarray(aside_keys, np.int64))
        order = np.argsort(head_array)
        heads, scores = head_array[order], np.asarray(head_values)[order]

        def columns(candidates: Candidates) -> np.ndarray:
            out = np.zeros((len(candidates), 3))
            out[:, 0] = values_at(heads, scores, candidates.keys)
            if similarity is None:
                out[:, 1] = lazy_similarity(self.space, vectors, candidates)
            else:
                out[:, 1] = similarity[candidates.rows, candidates.values]
            out[:, 2] = np.isin(candidates.keys, aside_array)
            return out

        proposals = [heads] if similarity is None else [heads, top_keys(similarity, TOP_PER_SIGNAL, size)]
        return Evidence(proposals, columns)

    def reading(self, head: TitleHead, vector: np.ndarray) -> TitleHead:
        """Of the title's two readings, the rightmost word heading a name (``head``) and the first word naming a
        product (``HeadFinder.first_reading``), the one that heads the value whose label is closest to the product's
        text (``vector``, its embedding): what the title as a whole describes; the first reading by READING_MARGIN.
        On the hand-labelled Shopify titles of ``benchmarks/zero_cases_category{,2,...,8}.yaml`` (``python
        benchmarks/zero_products.py --cases ...``) the best category was right for 394 of 576 against 378 for the
        rightmost word alone (16 titles turned right, none wrong: "3 Seater Velvet Sofa Grey Modern Living Room",
        "Electric Pressure Washer 150 Bar with Patio Cleaner" ...); on the fashion titles of ``python
        benchmarks/attributes.py --sections shopify`` 0.745 against 0.752 (one title wrong: "U.S. Polo Assn. Denim
        Co. Men Navy Blue T-Shirt", a brand's word read as Polos). A first reading in the plural is taken whenever
        nearer: English compounds take a singular modifier, so a plural before more words names the product and the
        later noun restates or packs it ("Hiking Boots Mid Ankle Trekking Shoes", "Cufflinks … Gift Box", "Brake Pads
        Set"), where a singular one may be a modifier ("Lace … Brief", "Button-Down Shirt", "Flat … Sandals")."""
        other = self.find.first_reading(head)
        if other is None:
            return head
        nearer = self.closeness(other, vector) - self.closeness(head, vector)
        margin = 0.0 if looks_plural(other.phrase.split()[-1]) else READING_MARGIN  # the word as the title has it
        return other if nearer > margin else head

    def plain_phrase(self, head: TitleHead, words: frozenset[str] = frozenset()) -> str:
        """The head phrase as embedded: its head, where no value's name holds it, said by the first of its other names
        that heads one ("girls cotton pyjama" embedded as "girls cotton pajama", "waffle dressing gown" as "waffle
        lounging robe"): the sentence embedder knows the taxonomy's word better than a British or Indian one;
        ``words``: the title's (``words_of``)."""
        if not head.phrase or self.plainly_headed(head, words):
            return head.phrase
        unnamed = head.word not in self.by_word  # a word no name holds; else only a compound is read as another name
        other = next((o for o in self.other_heads(head) if o[0].word in self.by_word and (unnamed or o[2] == 2)), None)
        if other is None:
            return head.phrase
        _, name, replaced = other
        return " ".join([*head.phrase.split()[:-replaced], *name.split("_")])

    def plainly_headed(self, head: TitleHead, words: frozenset[str]) -> bool:
        """Whether the title's head word plainly heads some value's name (``plainly``)."""
        return self.plainly(self.headed_by(head.word, head, words))

    @staticmethod
    def plainly(scores: dict[int, float]) -> bool:
        """Whether head scores (position -> score) name a value plainly: HALF or more (not only kinds of the head the
        title does not name, "Isolation Gowns" for a dressing gown)."""
        return any(score >= HALF for score in scores.values())

    def other_heads(self, head: TitleHead) -> list[tuple[TitleHead, str, int]]:
        """The title's head said by WordNet's other names of it (``synonyms``): those of the head word with the word
        before it, where the two are a compound (``compound``: "dressing gown" is a lounging robe), then those of the
        head word alone ("jumper" is a sweater); each as (the head it makes, the name, how many of the phrase's last
        words it stands for). A name of one word keeps the word before the words it stands for."""
        words = head.phrase.split()
        out = []
        for other, replaced in (
            *((n, 2) for n in (synonyms().get(f"{head.before}_{head.word}", ()) if self.compound(head) else ())),
            *((n, 1) for n in synonyms().get(head.word, ())),
        ):
            name = self.opened(other)
            before, _, word = name.rpartition("_")
            kept = head.before if replaced == 1 else head_key(words[-3]) if len(words) >= 3 else ""
            out.append((TitleHead(head.phrase, word, before or kept), name, replaced))
        return out

    def opened(self, name: str) -> str:
        """Another name of the head as the taxonomy writes it: one word that no value's name is headed by, written
        closed from a value's two-word name, as those two words joined by "_" (WordNet's "watchband" is Shopify's
        "Watch Bands", as ``HeadFinder.open_compound`` reads a title's "Tshirt", though the head finder knows the word
        itself by its other names); any other name as it is."""
        if "_" in name or name in self.by_word:
            return name
        halves = self.find.halves(name)
        return "_".join(head_key(h) for h in halves) if len(halves) == 2 else name

    @staticmethod
    def compound(head: TitleHead) -> bool:
        """Whether the head word and the word before it are read as one compound noun: not where the head is a
        collective noun ("Dinner Set" is WordNet's dinner service, but a taxonomy files such sets by what they hold:
        "Dinnerware Sets")."""
        return bool(head.before) and head.word not in COLLECTIVE

    def closeness(self, head: TitleHead, vector: np.ndarray) -> float:
        """The highest cosine of ``vector`` to the label of a value whose name the head word heads, or (where it heads
        none) one of its other names (``other_heads``: "Pyjama" is read as "Pajamas" in ``headed`` too); -1: none."""
        named = self.by_word.get(head.word) or [
            n for o, *_ in self.other_heads(head) for n in self.by_word.get(o.word, ())
        ]
        positions = np.asarray(sorted({p for p, _ in named}), dtype=np.int64)
        if not len(positions):
            return -1.0
        labels = self.space.vectors.at(positions) if self.space.is_lazy else self.space.emb[positions]
        return float((labels @ vector).max())

    def headed(self, head: TitleHead, words: frozenset[str] = frozenset()) -> dict[int, float]:
        """The head score of each value whose name the title's head word heads (position -> score); when the word
        plainly heads none (no score of HALF or more), of the values its other names head (``other_heads``: "Jumper"
        is a sweater, not one of the "Baby Jumpers"); where the head word and the word before it are a compound whose
        other names plainly head a value, of those values alone (a "Dressing Gown" is a lounging robe, none of the
        "Isolation Gowns"); ``words``: the title's (``words_of``)."""
        best = self.headed_by(head.word, head, words)
        if self.plainly(best):
            return best
        compound: dict[int, float] = {}  # a compound's other names say what the product is, not a kind of its head
        for other, _, replaced in self.other_heads(head):
            scores = compound if replaced == 2 else best
            for position, score in self.headed_by(other.word, other, words).items():
                scores[position] = max(scores.get(position, 0.0), score)
        return compound if self.plainly(compound) else best | {p: max(s, best.get(p, 0.0)) for p, s in compound.items()}

    def headed_by(self, word: str, head: TitleHead, words: frozenset[str]) -> dict[int, float]:
        """The head score of each value whose name ``word`` heads, as the title's head (position -> score). A kind of
        the head the title does not name is less: a name with a word before the head that the head phrase lacks
        ("Baguette Handbags" for a handbag), and a name singling out a kind by words before the two the title states
        ("Serger Sewing Machines" for a sewing machine; the kind may be stated anywhere in the title, ``words``) when
        another name holds those two alone ("Sewing Machines"):
        without the plain kind in the taxonomy the fuller name is the nearest ("Vehicle Battery Chargers" for a car's
        battery charger)."""
        best: dict[int, float] = {}
        said = {head_key(w) for w in head.phrase.split()}
        unsaid: set[int] = set()
        for position, before in self.by_word.get(word, ()):
            closed = head.before in self.closed[position]  # "Crossbody Bag" names "Cross Body Bags" whole
            full = bool(before) and (before == head.before or closed)
            kind = self.kind_words[position].get((word, before))
            if full and not closed and not self.kind_said(kind, said | words):
                unsaid.add(position)
            score = FULL if full else SPECIFIC if before and before not in said else HALF
            best[position] = max(best.get(position, 0.0), score)
        if any(score == FULL and position not in unsaid for position, score in best.items()):
            best.update({position: SPECIFIC for position in unsaid if best[position] == FULL})
        return best

    @staticmethod
    def kind_said(kind: frozenset[str] | None, said: set[str]) -> bool:
        """Whether the title's head phrase (``said``: its words as ``head_key``s) states each word of a name that
        singles out a kind, spelt the British or American way ("Computerised") or cut short ("Lab" for
        "Laboratory")."""
        spelt = {spelling_key(w) for w in said if len(w) >= MIN_HEAD_LETTERS}
        return all(any(w.startswith(s) for s in spelt) for w in kind or ())

    def kinds(self, head: TitleHead, scores: dict[int, float]) -> set[int]:
        """Values that the word before the title's head heads, filed under a value the head plainly names (``scores``:
        position -> head score, HALF or more): a kind of the product the title names ("Beanie Hat" is a beanie,
        Shopify's "Hats > Beanies"; "Fedora Hat" a fedora); or named by that word alone and filed beside such a value,
        under the same parent (a kind the taxonomy shelves next to the head's: "Polo Shirt" is one of "Clothing Tops >
        Polos", beside "Clothing Tops > Shirts"). The word before the head is a modifier anywhere else ("Knife Block"
        is no knife, "Dog Collar" no dog)."""
        if not head.before:
            return set()
        named = {self.space.ids[p] for p, score in scores.items() if score >= HALF}
        lineage = self.branches.taxonomy.lineage
        parents = {tuple(lineage(n)[:-1]) for n in named}
        return {
            p
            for p, _ in self.by_word.get(head.before, ())
            if p not in scores
            and (
                named.intersection(lineage(self.space.ids[p])[:-1])
                or (self.bare[p] and tuple(lineage(self.space.ids[p])[:-1]) in parents)
            )
        }

    def parts(self, head: str, scores: dict[int, float], words: frozenset[str]) -> list[int]:
        """Values that are not the product a value the title's head names is, though they share a word with the title:
        those whose names hold the head word as a modifier, not as their head ("Yoga Mat Straps", "Tent Footprints" for
        a yoga mat, a tent: a part of the product or what goes with it), and those whose names hold another word of the
        title (``words``) as a modifier and are headed by none of its words ("Men's Undershirts" for a men's T-shirt,
        "Wireless Transmitters" for a wireless mouse: another product of the same kind of buyer or use). Only when a
        value the head names plainly or with the title's own word before it (``scores``: position -> head score, HALF
        or more) is filed under the same top-level branch: there the product is known, and a value of another branch
        holds another sense of the word ("Clutch Bags" for a clutch, against a car's "Clutches")."""
        roots = {self.branches.root(p) for p, score in scores.items() if score >= HALF}
        if not roots:
            return []
        held = [(p, w == head) for w in words | {head} for p in self.modified.get(w, ())]
        return [
            p
            for p, of_head in held
            if p not in scores and (of_head or not self.head_words[p] & words) and self.branches.root(p) in roots
        ]

    def aside(self, head: TitleHead, norm: str) -> set[str]:
        """Values named in the text whose names are not headed by the title's head word (named outside the head
        phrase, or as a modifier in it: a brand "Locomotive" before "T-Shirt"), or (Chinese) only right before
        another name."""
        named = self.space.mentions(norm)
        if not named:
            return set()
        if head.word:
            headed = {self.space.ids[p] for p, _ in self.by_word.get(head.word, ())}
            return named - headed - self.cjk_heads(norm) | self.cjk_modifiers(norm)
        inside = self.space.mentions(head.phrase) if head.phrase else set()
        return (named - inside - self.cjk_heads(norm)) | self.cjk_modifiers(norm)

    def cjk_spans(self, norm: str) -> list[tuple[int, int, str]]:
        """(start, end, value id) of every Chinese name found in the text's runs of Chinese characters."""
        spans: list[tuple[int, int, str]] = []
        if not has_cjk(norm):
            return spans
        for run in _CJK_RUN.finditer(norm):
            text = run.group()
            for phrase, vid in self.space.cjk_phrases:
                at = text.find(phrase)
                while at >= 0:
                    spans.append((run.start() + at, run.start() + at + len(phrase), vid))
                    at = text.find(phrase, at + 1)
        return spans

    def cjk_modifiers(self, norm: str) -> set[str]:
        """Chinese names only ever written right before another value's name: they modify it ('小米' + '电动牙刷')."""
        spans = self.cjk_spans(norm)
        starts = {(s, vid) for s, _, vid in spans}
        modifying: dict[str, bool] = {}
        for _, end, vid in spans:
            before_other = any(s == end and other != vid for s, other in starts)
            modifying[vid] = modifying.get(vid, True) and before_other
        return {vid for vid, yes in modifying.items() if yes}

    def cjk_heads(self, norm: str) -> set[str]:
        """Chinese names found anywhere: the head phrase of a Chinese title is not cut at its words, so they are
        never 'outside' it; ``cjk_modifiers`` says which of them only modify."""
        return {vid for _, _, vid in self.cjk_spans(norm)}


def _shared_kinds(tables: list[dict[tuple[str, str], frozenset[str]]]) -> dict[tuple[str, str], frozenset[str]]:
    """Per (head word, word before it), the kind words every name of a value that has the pair singles out (a name
    with the pair in a conjunct of two words singles out none)."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    for table in tables:
        for pair, words in table.items():
            out[pair] = out[pair] & words if pair in out else words
    return out

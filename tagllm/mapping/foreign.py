"""Paths from another catalogue's tree: "Apparel > Bottomwear > Jeans", "Accessories | Jewellery | Pendant".

A legacy catalogue's tags are its own tree's paths. Their leaves often name a value of this taxonomy while their
ancestors do not ("Bottomwear" is no Shopify category), so the path stage, which needs every segment to name an
ancestor, leaves them open, and the leaf alone is often the wrong sense ("Clutches" is a car part, "Pendant" a lamp).
This stage reads such a path by its leaf, and lets the ancestors choose among what the leaf names:

- candidates: what the leaf names through the stages that read names (tables, other languages, WordNet: no guess by
  spelling or meaning alone, and no stripped modifier), and every value named by the leaf in the singular ("Shampoos":
  the pets' Shampoos and Shampoo);
- a candidate narrowed to an audience, a use or a fan's copy (``repeats.QUALIFIERS``: Baby & Toddler Bottoms, Sports
  Fan Accessories) is kept only when a word of the ancestors says so too ("Maternity > Jeans"); the ones that match
  more of the ancestors' qualifiers come first ("Men > Underwear > Briefs" is the men's Briefs), and need no ``FLOOR``
  (the word is the agreement: "Fan Shop > Hats" is the fans' Hats); when no word says it but an ancestor is near the
  qualifying one by the embedder ("Sportswear": Activewear), the string is rejected;
- the rest are ranked by how near the embedder puts the path's ancestors ("Accessories > Jewellery") to each
  candidate's ancestors; the nearest is taken when it is at least ``FLOOR`` near and leads the next by ``MARGIN``,
  else the general sense among same-named values (``repeats.py``), else the string is rejected;
- when the leaf names nothing the ancestors agree with, the values it is a part of are tried the same way: one part of
  an "A & B" name ("Pendant": Charms & Pendants; "Frying Pans": Skillets & Frying Pans, then its child Frying Pans),
  or the leaf and one word of the segment above it ("Bags > Clutches": Clutch Bags).

Storefront breadcrumbs begin with segments that name the site, not a kind of product ("Home / Shop / Candles",
"All Categories > Baby > Diapers", "首页 / 女装 / 毛衣"): the ancestors agree as written or without their leading
segments in ``breadcrumbs.ROOTS``, whichever is nearer ("Home" may also be the home department: "Home » Living Room »
Rugs"); a leaf under nothing but such segments is read as a bare name (its one plain candidate, or the general sense).
A path writes a qualifier in its own words: a segment naming a garden, patio or yard (and no home: "Home & Garden" is
a whole store) says "outdoor" (``breadcrumbs.SAYS``). When the path says a qualifier that the chosen value lacks, and
exactly one value is named by the chosen value's name with that qualifier ("Furniture / Outdoor / Sofas": Outdoor
Sofas; "Pet Supplies > Dogs > Raincoats": Pet Rain Coats), that value is taken: the path said which.

Only the leaf is read: an ancestor is no answer ("Home > New Arrivals" is no Home & Garden, "… > Kettles" no Kitchen
& Dining). A leaf that names values none of which the ancestors agree with rejects the string: the leaf was named,
and it is not the thing its ancestors describe, so no later stage guesses from the whole string.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from tagllm.mapping.base import Batch, Outcome, Stage
from tagllm.mapping.breadcrumbs import stems as _stems
from tagllm.mapping.breadcrumbs import unrooted as _unrooted
from tagllm.mapping.breadcrumbs import words as _words
from tagllm.mapping.families import qualifies_shared_head
from tagllm.mapping.keys import keys, stem
from tagllm.mapping.paths import written_path
from tagllm.mapping.repeats import QUALIFIERS, general_value, qualifiers
from tagllm.parsing import split_path
from tagllm.text import normalize, singular

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

FLOOR = 0.5
"""The path's ancestors must be at least this near (sentence embeddings) the chosen value's ancestors. Set after the
first run on mapping_fresh11.yaml, where at 0.3 two leaves were taken under ancestors 0.42-0.44 near theirs
("Accessories > Jewellery > Pendant" as a lamp's pendant); without an embedder, the share of the ancestors' words
that the value's ancestors hold."""
MARGIN = 0.05
"""... and nearer than any other candidate's by this much (the modifier stage's ``HEAD_TRAIL``)."""
QUALIFIER_NEAR = 0.6
"""A segment of the path this near a candidate's qualifying ancestor (the head's bar, ``HEAD_AGREEMENT``), and nearer
it than to the ancestor's name without its qualifier, may say the qualifier in other words ("Sportswear": Activewear;
"Bottomwear" is nearer Bottoms than Baby & Toddler Bottoms): the path is then rejected, not read as the plain value."""
DOUBT = -1
MAX_SEGMENTS = 12
NAMING_STAGES = frozenset(
    {"screen", "id", "exact", "normalized", "synonym", "alias", "derived", "translation", "zh_head", "guard", "colour",
     "lexical", "swap", "lead"}
)  # fmt: skip
"""The stages a leaf is read by: names, other languages, WordNet, but no guess by spelling or meaning alone (fuzzy,
embedding), no stripped modifier ("Night suits" is no Suits) and no path stage (a leaf has no separator)."""
_Index = tuple[dict[str, list[str]], dict[frozenset[str], list[str]], dict[str, list[str]]]
_PARTS = re.compile(r"\s*(?:&|,| and )\s*")


class ForeignPathStage(Stage):
    """A path from another tree: what its leaf names, chosen among by its ancestors' agreement."""

    name = "foreign_path"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self._indexes: dict[
            str, tuple[dict[str, list[str]], dict[frozenset[str], list[str]], dict[str, list[str]]]
        ] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def run(self, batch: Batch) -> None:
        facet = batch.facet if batch.facet is not None else self._only_tree()
        if facet is None or not self.m.taxonomy.facets[facet].hierarchical:
            return
        paths: dict[str, list[str]] = {}
        for raw in batch.open():
            text = written_path(batch.text(raw))
            if text is None:
                continue
            segments = self._segments(split_path(text), facet)
            if 2 <= len(segments) <= MAX_SEGMENTS:
                paths[raw] = segments
        if not paths:
            return
        named = self._read({segments[-1] for segments in paths.values()}, facet)
        for raw, segments in paths.items():
            leaf, context = segments[-1], segments[:-1]
            outcome = self.choose(raw, leaf, context, named[leaf], facet) if named[leaf] else None
            if outcome is None or outcome.mapped.value is None:
                contained = [v for v in self._contained(leaf, context, facet) if v not in named[leaf]]
                second = self.choose(raw, leaf, context, contained, facet) if contained else None
                outcome = second if second is not None and second.mapped.value is not None else outcome
            if outcome is not None:
                batch.done[raw] = outcome

    def _only_tree(self) -> str | None:
        """With no facet named (``tagllm taxonomy map`` without ``--facet``), a path belongs to the taxonomy's tree:
        its one hierarchical facet, when it has exactly one."""
        trees = [name for name, spec in self.m.taxonomy.facets.items() if spec.hierarchical]
        return trees[0] if len(trees) == 1 else None

    def choose(self, raw: str, leaf: str, context: list[str], ids: list[str], facet: str) -> Outcome:
        """The candidate the path's ancestors agree with, or a rejection naming the candidates."""
        words = _words(context)
        kept: list[tuple[int, str]] = []
        for vid in ids:
            matched = self._qualifiers_matched(vid, words, context)
            if matched == DOUBT:
                outcome = self.m.reject(
                    raw, facet, self._disagree([vid], context, "may say what narrows it in other words")
                )
                outcome.candidates, outcome.method = tuple(ids), self.name
                return outcome
            if matched is not None:
                kept.append((matched, vid))
        if not kept:
            outcome = self.m.reject(raw, facet, self._disagree(ids, context, "do not say what narrows them"))
            outcome.candidates, outcome.method = tuple(ids), self.name
            return outcome
        best = max(m for m, _ in kept)
        ranked = [vid for m, vid in kept if m == best]
        sims = self._agreement(" > ".join(context), ranked)
        unrooted = _unrooted(context)
        if not unrooted:  # only the storefront's root above the leaf: a bare name, all candidates alike
            sims = [1.0] * len(ranked)
        elif unrooted != context:  # "Home" may name the store or its home department: the nearer reading
            sims = [max(a, b) for a, b in zip(sims, self._agreement(" > ".join(unrooted), ranked), strict=True)]
        order = sorted(range(len(ranked)), key=lambda i: -sims[i])
        top = sims[order[0]]
        floor = 0.0 if best > 0 or not unrooted else FLOOR  # a qualifier the path writes is agreement enough
        if top >= floor and (len(ranked) == 1 or top - sims[order[1]] >= MARGIN):
            chosen = self._namesake(self._descend(ranked[order[0]], leaf), words, facet, leaf)
            return self.m.accept(raw, facet, self.m.values[chosen], self.name, round(float(top), 4))
        near = [ranked[i] for i in order if sims[i] >= floor and top - sims[i] < MARGIN]
        general = general_value(self.m.taxonomy, near) if len(near) > 1 else None
        if general is not None:
            chosen = self._namesake(general, words, facet, leaf)
            return self.m.accept(raw, facet, self.m.values[chosen], self.name, round(float(top), 4))
        if top < floor:
            outcome = self.m.reject(raw, facet, self._disagree(ranked, context, "are far from theirs"))
        else:
            outcome = self.m.reject(raw, facet, self.m.ambiguity(near, facet, raw))
        outcome.candidates, outcome.method = tuple(ranked), self.name
        return outcome

    # -- candidates -----------------------------------------------------------------------------------------
    def _namesake(self, vid: str, words: set[str], facet: str, leaf: str) -> str:
        """The one value named by ``vid``'s name, or by the leaf, and a qualifier the path says that ``vid`` lacks
        ("Outdoor" and Sofas: Outdoor Sofas; "Pet" and Rain Coats: Pet Rain Coats; "Pet Supplies > Dogs > Beds", the
        leaf a part of Beds & Bed Frames: Pet Beds); ``vid`` when there is none, or several."""
        said = (words & QUALIFIERS) - qualifiers(self.m.taxonomy, vid)
        names = self._index(facet)[1]
        found = {
            o
            for name in (_stems(self.m.values[vid].name), _stems(leaf))
            for q in sorted(said)
            for o in names.get(frozenset(name | {q}), ())
        }
        return found.pop() if len(found) == 1 else vid

    def _descend(self, vid: str, leaf: str) -> str:
        """The one child of a value named by "A & B" that the leaf names with words of its own ancestors besides
        ("Frying Pans" under Skillets & Frying Pans, "Blenders": Food Blenders under Food Mixers & Blenders)."""
        mine = _stems(leaf)
        if len(_PARTS.split(self.m.values[vid].name)) < 2 or not mine:
            return vid
        children = []
        for child in self.m.taxonomy.children(vid):
            name = _stems(child.name)
            lineage = {w for a in self.m.taxonomy.ancestors(child.id) for w in _stems(a.name)}
            if mine <= name and name - mine <= lineage:
                children.append(child.id)
        return children[0] if len(children) == 1 else vid

    def _segments(self, segments: list[str], facet: str) -> list[str]:
        spec = self.m.taxonomy.facets[facet]
        own = {keys(spec.name)[1], keys(spec.title or spec.name)[1], "category"}
        return segments[1:] if segments and keys(segments[0])[1] in own else segments

    def _read(self, segments: set[str], facet: str) -> dict[str, list[str]]:
        """Each segment's values through the naming stages: the value found and the values it was torn between."""
        stages = [s for s in self.m.stages if s.name in NAMING_STAGES]
        batch = self.m.lookup(sorted(segments), facet, stages)
        out: dict[str, list[str]] = {}
        for segment in segments:
            outcome = batch.done.get(segment)
            ids: list[str] = []
            if outcome is not None:
                if outcome.mapped.value is not None:
                    ids.append(outcome.mapped.value.id)
                ids += [c for c in outcome.candidates if self.m.values[c].facet == facet]
            else:  # left open, torn between values ("Tops": Spinning Tops, Clothing Tops...): the ancestors choose
                ids += [c for c in batch.candidates.get(segment, ()) if self.m.values[c].facet == facet]
            ids += self._index(facet)[2].get(_singular(segment), [])  # "Shampoos": Shampoo too, not only the
            out[segment] = list(dict.fromkeys(ids))  # pets' Shampoos that the name hits
        return out

    def _contained(self, segment: str, context: list[str], facet: str) -> list[str]:
        """Values whose name holds the segment as one part of "A & B" ("Pendant": Charms & Pendants), or is the
        segment and one word of the segment above it ("Bags > Clutches": Clutch Bags)."""
        parts, names, _ = self._index(facet)
        found = list(parts.get(keys(segment)[1], ()))
        mine = _stems(segment)
        parent = _stems(context[-1]) if context and mine else set()
        for extra in sorted(parent - mine):  # not "Accessories > Watches": Watch Accessories (a grandparent's word)
            found += names.get(frozenset(mine | {extra}), [])
        return list(dict.fromkeys(found))

    def _index(self, facet: str) -> _Index:
        """The facet's values by the parts of their "A & B" names, by the stems of their names' words, and by their
        names in the singular (not stems: "Capes" is no namesake of "Caps")."""
        if facet not in self._indexes:
            parts: dict[str, list[str]] = {}
            names: dict[frozenset[str], list[str]] = {}
            singulars: dict[str, list[str]] = {}
            for value in self.m.taxonomy.facet_values(facet):
                pieces = [p for p in _PARTS.split(value.name) if p]
                if len(pieces) > 1:
                    for piece in pieces:
                        if not qualifies_shared_head(piece, value.name):  # "Mobile Phone" names no tripods
                            parts.setdefault(keys(piece)[1], []).append(value.id)
                names.setdefault(frozenset(_stems(value.name)), []).append(value.id)
                singulars.setdefault(_singular(value.name), []).append(value.id)
            self._indexes[facet] = (parts, names, singulars)
        return self._indexes[facet]

    # -- agreement ------------------------------------------------------------------------------------------
    def _qualifiers_matched(self, vid: str, words: set[str], context: list[str]) -> int | None:
        """How many of the value's qualifying ancestors the path's words match; None when it has some and matches
        none; ``DOUBT`` when it matches none by words, but a segment of the path is at least ``QUALIFIER_NEAR`` near
        a qualifying ancestor and nearer it than to its name without the qualifier ("Sportswear": Activewear; but
        "Bottomwear" is nearer Bottoms than Baby & Toddler Bottoms), so the path may say the qualifier in other
        words."""
        lineage = [*self.m.taxonomy.ancestors(vid), self.m.values[vid]]
        qualifying = [a for a in lineage if _stems(a.name) & QUALIFIERS]
        if not qualifying:
            return 0
        matched = sum(1 for a in qualifying if _stems(a.name) & QUALIFIERS & words)
        if matched:
            return matched
        if self.m.use_embeddings:
            for ancestor in qualifying:
                bare = " ".join(w for w in normalize(ancestor.name).split() if stem(w) not in QUALIFIERS)
                near = self._similarities(ancestor.name, context)
                plain = self._similarities(bare, context) if bare else [0.0] * len(context)
                if any(n >= QUALIFIER_NEAR and n > p for n, p in zip(near, plain, strict=True)):
                    return DOUBT
        return None

    def _agreement(self, context: str, ids: list[str]) -> list[float]:
        """How near the path's ancestors are to each value's ancestors (its name for a top-level value)."""
        targets = [" > ".join(a.name for a in self.m.taxonomy.ancestors(v)) or self.m.values[v].name for v in ids]
        if not self.m.use_embeddings:
            mine = {w for w in _stems(context)}
            return [len(mine & _stems(t)) / max(len(mine), 1) for t in targets]
        vectors = self._encode([context, *targets])
        return [float(vectors[t] @ vectors[context]) for t in targets]

    def _similarities(self, text: str, others: list[str]) -> list[float]:
        vectors = self._encode([text, *others])
        return [float(vectors[o] @ vectors[text]) for o in others]

    def _encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.m.embedder.encode(missing), strict=True):
                self._vectors[text] = vector
        return {t: self._vectors[t] for t in texts}

    def _disagree(self, ids: list[str], context: list[str], how: str) -> str:
        shown = "; ".join(self.m.values[v].path or self.m.values[v].name for v in ids[:3])
        more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
        return f"the path's leaf names {shown}{more}, but its ancestors {' > '.join(context)!r} {how}"


def _singular(text: str) -> str:
    return " ".join(singular(w) for w in normalize(text).split())

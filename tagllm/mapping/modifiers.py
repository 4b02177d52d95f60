"""The modifier stage: drop what describes a value rather than names it, then look the rest up (or its head)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.describing import DESCRIBING_FACETS, describes
from tagllm.mapping.keys import keys, stem
from tagllm.mapping.lexical import LIST
from tagllm.mapping.tables import scope
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MODIFIER_WORDS = frozenset(
    {
        # shades
        "pale", "light", "dark", "deep", "bright", "hot", "baby", "dusty", "pastel", "neon", "soft", "rich", "vivid",
        "muted", "metallic", "matte", "matt", "glossy", "shiny", "faded", "washed",
        # quality and marketing
        "genuine", "real", "pure", "organic", "natural", "recycled", "premium", "authentic", "virgin", "full",
        "grain", "top", "new", "fresh", "quality", "percent", "stretch",
        # audience
        "for", "men", "man", "mens", "women", "woman", "womens", "ladies", "lady", "kids", "kid", "children", "boys",
        "girls", "him", "her", "unisex",
        # what a value is: "cotton fabric", "floral print", "colour red"
        "colour", "color", "colours", "colors", "shade", "tone", "fabric", "material", "print", "printed", "pattern",
        "patterned", "design", "style", "type",
        # quantity
        "pack", "set", "pair", "box", "of",
    }
)  # fmt: skip
"""Words that describe a value rather than name it: "pale pink", "100% organic cotton", "for him", "floral print"."""
HEAD_AGREEMENT = 0.6
"""In a hierarchical facet, a string's head ("travel backpack" -> "backpack") is taken only when the whole string
is at least this similar (sentence embeddings) to the value found: "football match" is no kind of "Matches"."""


class ModifierStage(Stage):
    """Strips modifiers (shade and quality words, numbers, audience words, the facet's own name, other facets'
    values) and looks the rest up with the table and lexical stages; failing that, the head (last word).

    The head is taken only when no other word names a value of the facet ("navy blue", "refrigerator freezer" stay
    open); in a hierarchical facet also only when the embedder agrees that the whole string means the value
    ("wireless earphones" -> Headphones, "football match" is no kind of Matches).
    """

    name = "modifier"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self._facet_words: dict[str | None, frozenset[str]] = {}
        self._describing: frozenset[str] | None = None

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        hierarchical = facet is None or self.m.taxonomy.facets[facet].hierarchical
        plans: dict[str, list[str]] = {}
        for raw in batch.open():  # strings found in another facet too ("Light pink" is a makeup shade in Shopify)
            text = batch.text(raw)
            if has_cjk(text) or LIST.search(text):
                continue
            tokens = [t for t in normalize(text).split() if t != "s"]
            kept = self.strip(tokens, facet)
            if not kept and all(any(ch.isdigit() for ch in t) for t in tokens):
                continue  # "7XL", "2024": numbers alone are for the other stages to judge
            if tokens and not kept and raw not in batch.elsewhere:
                reason = f"only describes a value ({' '.join(tokens)!r}), names none of facet {facet!r}"
                batch.done[raw] = self.m.reject(raw, facet, reason)
                continue
            if hierarchical and (
                " ".join(kept) in self.describing(facet)
                and not self._names_value(" ".join(kept), facet)
                or raw in batch.elsewhere
                and describes(self.m, batch.elsewhere[raw])
            ):
                continue  # "pale pink" in a category: a colour, not the flower; "summer dress" is a dress
            plans[raw] = kept
        if not plans:
            return
        stages = [*self.m.lookups, *([self.m.lexical] if self.m.lexical is not None else [])]
        whole = {
            raw: " ".join(kept) for raw, kept in plans.items() if kept and kept != normalize(batch.text(raw)).split()
        }
        found = self.m.lookup(whole.values(), facet, stages)
        heads: dict[str, str] = {}
        for raw, kept in plans.items():
            phrase = whole.get(raw)
            outcome = found.done.get(phrase) if phrase else None
            if outcome is not None and outcome.mapped.value is not None:
                batch.done[raw] = self.m.accept(raw, facet, outcome.mapped.value, self.name)
            elif len(kept) > 1:
                heads[raw] = kept[-1]
        if not heads:
            return
        head_found = self.m.lookup(heads.values(), facet, stages)
        for raw, head in heads.items():
            outcome = head_found.done.get(head)
            if outcome is None or outcome.mapped.value is None:
                continue
            value = outcome.mapped.value
            if batch.candidates.get(raw) and value.id not in batch.candidates[raw]:
                continue  # WordNet read the whole string as other values ("blow dryer": hair dryers, not Dryers)
            others = self.m.lookup(plans[raw][:-1], facet, stages)
            if any(o.mapped.value is not None for o in others.done.values()):
                continue  # "navy blue", "refrigerator freezer": another word names a value too
            if not hierarchical:
                batch.done[raw] = self.m.accept(raw, facet, value, self.name)
                continue
            score = self._agreement(batch.text(raw), value.id, facet)
            if score is not None and score >= HEAD_AGREEMENT:
                batch.done[raw] = self.m.accept(raw, facet, value, self.name, round(score, 4))

    def strip(self, tokens: list[str], facet: str | None) -> list[str]:
        """The tokens that are not modifiers, in order."""
        facet_words = self.facet_words(facet)
        describing = self.describing(facet)
        lexical = self.m.lexical
        wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
        kept: list[str] = []
        hierarchical = facet is None or self.m.taxonomy.facets[facet].hierarchical
        for i, token in enumerate(tokens):
            if hierarchical and i == len(tokens) - 1 and any(ch.isalpha() for ch in token):
                kept.append(token)  # a category's head noun is never a modifier ("leather backpacks")
                continue
            if self._names_value(token, facet):
                kept.append(token)  # "him" describes in a colour, names a value in a gender facet
                continue
            root = stem(token)
            if any(ch.isdigit() for ch in token) or token in MODIFIER_WORDS or root in MODIFIER_WORDS:
                continue
            if any(
                root == w or (len(root) >= 4 and len(w) >= 4 and (root.startswith(w) or w.startswith(root)))
                for w in facet_words
            ):
                continue
            if root in describing or token in describing:
                continue
            if wordnet is not None and wordnet.is_adjective(token) and not wordnet.noun_synsets(token):
                continue
            kept.append(token)
        return kept

    def _names_value(self, token: str, facet: str | None) -> bool:
        tables = self.m.tables
        key = keys(token)[1]
        return any(scope(t["sing"].get(key), facet) for t in (tables.names, tables.synonyms, tables.aliases))

    def facet_words(self, facet: str | None) -> frozenset[str]:
        found = self._facet_words.get(facet)
        if found is None:
            words: set[str] = {"category"} if facet is None or self.m.taxonomy.facets[facet].hierarchical else set()
            if facet is not None:
                spec = self.m.taxonomy.facets[facet]
                words |= {stem(w) for text in (spec.name, spec.title) for w in normalize(text).split() if len(w) > 2}
                if {"colour", "color"} & words:
                    words |= {"colour", "color"}
            found = self._facet_words[facet] = frozenset(words)
        return found

    def describing(self, facet: str | None) -> frozenset[str]:
        """Stems of one-word values of describing facets other than ``facet`` (materials, colours, genders …)."""
        if self._describing is None:
            words: set[str] = set()
            for name, spec in self.m.taxonomy.facets.items():
                label = f"{name} {spec.title}".casefold()
                if spec.hierarchical or not any(d in label for d in DESCRIBING_FACETS):
                    continue
                for value in self.m.taxonomy.facet_values(name):
                    key = keys(value.name)[1]
                    if key and " " not in key and key != "other":
                        words.add(key)
            self._describing = frozenset(words)
        if facet is not None and not self.m.taxonomy.facets[facet].hierarchical:
            own = {keys(v.name)[1] for v in self.m.taxonomy.facet_values(facet)}
            return self._describing - own
        return self._describing

    def _agreement(self, text: str, vid: str, facet: str | None) -> float | None:
        """The whole string's similarity to the value, when the value is also the facet's nearest to the whole
        string by embedding; None otherwise or without an embedder ("clothes washer" is nearest Washing Machines,
        not the Washers its head names)."""
        if not self.m.use_embeddings or facet is None:
            return None
        from tagllm.mapping.embedding import EmbeddingStage

        index = EmbeddingStage.shared(self.m).index(facet)
        if not index.texts:
            return None
        sims = index.vectors @ self.m.embedder.encode([text])[0]
        best = int(np.argmax(sims))
        if vid not in index.ids[best]:
            return None
        return float(sims[best])

"""The modifier stage: drop what describes a value rather than names it, then look the rest up (or its head)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.colours import survey_name
from tagllm.mapping.describing import DESCRIBING_FACETS, describes
from tagllm.mapping.keys import keys, stem
from tagllm.mapping.lexical import LIST
from tagllm.mapping.tables import scope
from tagllm.taxonomy import Value
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
NEGATING = frozenset({"faux", "fake", "imitation", "artificial", "vegan", "mock", "pleather", "leatherette"})
"""Words that say a material is an imitation of the one named: "vegan leather" is Faux leather, never Leather."""
HEAD_AGREEMENT = 0.6
"""In a hierarchical facet, a string's head ("travel backpack" -> "backpack") is taken only when the whole string
is at least this similar (sentence embeddings) to the value found: "football match" is no kind of "Matches"."""
FLAT_AGREEMENT = 0.7
"""In a flat facet, a head beside a noun that describes nothing known ("mulberry silk", "food grade silicone") is taken
only when the whole string is at least this similar to the value (no other value nearer): "croutons zipper" is not."""
HEAD_TRAIL = 0.05
"""... and no other value's label is more than this nearer the whole string than the value's own labels."""


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
        self._describing: dict[str, frozenset[str]] | None = None
        self._words: dict[str | None, dict[str, set[str]]] = {}
        self._numbers: dict[str | None, bool] = {}

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
            dropped = [t for t in tokens if t not in kept]
            if any(ch.isdigit() for t in kept for ch in t) and any(ch.isdigit() for t in dropped for ch in t):
                continue  # "0-3m" is no size 0: a number is read whole or not at all
            if len(tokens) == 1 and not kept and self.m.fuzzy.candidates(tokens[0], facet):
                continue  # "multicolour" is an adjective and a spelling of Multicolor: the fuzzy stage reads it
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
        naming = [*self.m.lookups, *([self.m.lexical] if self.m.lexical is not None else [])]
        stages = [*self.m.lookups, self.m.colour, *naming[len(self.m.lookups) :]]
        # the colour stage reads the rest ("dusty rose" -> rose -> Pink), but a word beside the head that is a colour
        # of its own ("forest" in "forest green") names no other value: only names block the head
        whole = {
            raw: " ".join(kept) for raw, kept in plans.items() if kept and kept != normalize(batch.text(raw)).split()
        }
        found = self.m.lookup(whole.values(), facet, stages)
        heads: dict[str, str] = {}
        for raw, kept in plans.items():
            phrase = whole.get(raw)
            outcome = found.done.get(phrase) if phrase else None
            if outcome is not None and outcome.mapped.value is not None:
                value = self._negated(batch.text(raw), outcome.mapped.value, facet)
                if value is not None:
                    batch.done[raw] = self.m.accept(raw, facet, value, self.name)
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
            others = self.m.lookup(plans[raw][:-1], facet, naming)
            if any(o.mapped.value is not None or o.candidates for o in others.done.values()):
                continue  # "navy blue", "clothes washer", "stand mixer": another word names a value (or several)
            if not hierarchical:
                score = 1.0
                if not self._describes_head(plans[raw][:-1], batch.text(raw), facet):
                    agreed = self._agreement(batch.text(raw), value.id, facet)
                    if agreed is None or agreed < FLAT_AGREEMENT:
                        continue  # "croutons zipper": a noun beside the head that the embedder does not read as one
                    score = round(agreed, 4)
                negated = self._negated(batch.text(raw), value, facet)
                if negated is not None:
                    batch.done[raw] = self.m.accept(raw, facet, negated, self.name, score)
                continue
            if self._compound(plans[raw], value.id, facet):
                continue  # "stand mixer": Stand Cement Mixers says "stand" tells kinds of mixer apart
            agreement = self._agreement(batch.text(raw), value.id, facet)
            if agreement is not None:
                batch.done[raw] = self.m.accept(raw, facet, value, self.name, round(agreement, 4))

    def strip(self, tokens: list[str], facet: str | None) -> list[str]:
        """The tokens that are not modifiers, in order."""
        facet_words = self.facet_words(facet)
        describing = self.describing(facet)
        lexical = self.m.lexical
        wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
        kept: list[str] = []
        hierarchical = facet is None or self.m.taxonomy.facets[facet].hierarchical
        numeric = not hierarchical and self._numeric(facet)  # "3/4 sleeve": in a facet of numbers they name values
        for i, token in enumerate(tokens):
            if hierarchical and i == len(tokens) - 1 and any(ch.isalpha() for ch in token):
                kept.append(token)  # a category's head noun is never a modifier ("leather backpacks")
                continue
            if self._names_value(token, facet):
                kept.append(token)  # "him" describes in a colour, names a value in a gender facet
                continue
            if numeric and any(ch.isdigit() for ch in token):
                kept.append(token)
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
        words = frozenset(self._describing_facets())
        if facet is not None and not self.m.taxonomy.facets[facet].hierarchical:
            own = {keys(v.name)[1] for v in self.m.taxonomy.facet_values(facet)}
            return words - own
        return words

    def _describing_facets(self) -> dict[str, frozenset[str]]:
        """One-word values of describing facets, by key, with the facets they are values of."""
        if self._describing is None:
            found: dict[str, set[str]] = {}
            for name, spec in self.m.taxonomy.facets.items():
                label = f"{name} {spec.title}".casefold()
                if spec.hierarchical or not any(d in label for d in DESCRIBING_FACETS):
                    continue
                for value in self.m.taxonomy.facet_values(name):
                    key = keys(value.name)[1]
                    if key and " " not in key and key != "other":
                        found.setdefault(key, set()).add(name)
            self._describing = {k: frozenset(v) for k, v in found.items()}
        return self._describing

    def _numeric(self, facet: str | None) -> bool:
        """Whether a value of a flat facet is named with a digit (sizes, "3/4"): then numbers are kept, not stripped."""
        found = self._numbers.get(facet)
        if found is None:
            values = self.m.taxonomy.facet_values(facet) if facet else []
            found = self._numbers[facet] = any(ch.isdigit() for v in values for ch in v.name)
        return found

    def _describes_head(self, others: list[str], text: str, facet: str | None) -> bool:
        """In a flat facet, whether the words beside the head describe it: adjectives ("tan brown"), colour names in
        a colour facet ("charcoal grey"), other facets' values. A noun that is none of these ("croutons zipper",
        "vectors drum", "density cups (MDF)") makes the string another thing, not a shade of the head's value."""
        lexical = self.m.lexical
        wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
        colours = bool(self.m.colour.shades(facet))
        describing = self._describing_facets()
        for word in others:
            if wordnet is not None and wordnet.is_adjective(word):
                continue
            if colours and survey_name(word) is not None:
                continue
            if keys(word)[1] in describing or word in NEGATING:
                continue
            return False
        return True

    def _negated(self, text: str, value: Value, facet: str | None) -> Value | None:
        """A material said not to be itself ("vegan leather", "fake fur"): the facet's "Faux …" value, or None when
        the facet has none; the value itself when nothing negates it (or the facet is hierarchical: "faux fur rug")."""
        words = set(normalize(text).split())
        if not words & NEGATING or (facet is not None and self.m.taxonomy.facets[facet].hierarchical):
            return value
        if words & set(normalize(value.name).split()) & NEGATING:
            return value
        found = self.m.lookup([f"faux {value.name}"], facet, self.m.lookups[:2]).done.get(f"faux {value.name}")
        return found.mapped.value if found is not None else None

    def _compound(self, kept: list[str], vid: str, facet: str | None) -> bool:
        """Whether another value's name holds the head and another kept word: then that word names a kind, not a
        trait ("stand" in "stand mixer", with Stand Cement Mixers in the facet), and the head alone is too general."""
        index = self._word_index(facet)
        heads = index.get(stem(kept[-1]), set())
        friends = {vid} | {a.id for a in self.m.taxonomy.ancestors(vid)}
        return any((heads & index.get(stem(word), set())) - friends for word in kept[:-1])

    def _word_index(self, facet: str | None) -> dict[str, set[str]]:
        """The facet's values by the stems of their names' words."""
        index = self._words.get(facet)
        if index is None:
            index = {}
            values = self.m.taxonomy.facet_values(facet) if facet else list(self.m.values.values())
            for value in values:
                for word in normalize(value.name).split():
                    index.setdefault(stem(word), set()).add(value.id)
            self._words[facet] = index
        return index

    def _agreement(self, text: str, vid: str, facet: str | None) -> float | None:
        """The whole string's similarity to the value (its best label), when it is at least ``HEAD_AGREEMENT`` and
        no label of another value is more than ``HEAD_TRAIL`` nearer; the value's ancestors are no rivals ("sterling
        silver necklace" is near Jewelry too). None without an embedder.

        "travel backpack" is nearest Hiking Backpacks and barely less near Backpacks: the head stands; "clothes
        washer" is far nearer Washing Machines than the Washers its head names: it does not.
        """
        if not self.m.use_embeddings or facet is None:
            return None
        from tagllm.mapping.embedding import EmbeddingStage

        index = EmbeddingStage.shared(self.m).index(facet)
        if not index.texts:
            return None
        sims = index.vectors @ self.m.embedder.encode([text])[0]
        friends = {vid} | {a.id for a in self.m.taxonomy.ancestors(vid)}
        mine, rival = -1.0, -1.0
        for j, ids in enumerate(index.ids):
            if vid in ids:
                mine = max(mine, float(sims[j]))
            elif not friends.intersection(ids):
                rival = max(rival, float(sims[j]))
        if mine < HEAD_AGREEMENT or mine < rival - HEAD_TRAIL:
            return None
        return mine

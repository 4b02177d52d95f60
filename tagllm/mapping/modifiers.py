"""The modifier stage: drop what describes a value rather than names it, then look the rest up (or its head)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.agreement import agreement
from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.colours import survey_name
from tagllm.mapping.describing import DESCRIBING_FACETS, describes
from tagllm.mapping.keys import keys, stem
from tagllm.mapping.kinds import facet_words
from tagllm.mapping.lexical import LIST
from tagllm.mapping.modifier_words import MODIFIER_WORDS, NEGATING, is_unit
from tagllm.mapping.tables import scope
from tagllm.taxonomy import Value
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

HEAD_AGREEMENT = 0.6
"""In a hierarchical facet, a string's head ("travel backpack" -> "backpack") is taken only when the whole string
is at least this similar (sentence embeddings) to the value found: "football match" is no kind of "Matches"."""
FLAT_AGREEMENT = 0.7
"""In a flat facet, a head beside a noun that describes nothing known ("mulberry silk", "food grade silicone") is taken
only when the whole string is at least this similar to the value (no other value nearer): "croutons zipper" is not."""
HEAD_TRAIL = 0.05
"""... and no other value's label is more than this nearer the whole string than the value's own labels."""
WHOLE_TRAIL = 0.15
"""In a hierarchical facet, a string whose stripped phrase names a value ("soft toy" -> "toy") is rejected when another
value is more than this nearer the whole string (a looser bar than the head's: the phrase was named, not guessed)."""


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
        strict: set[str] = set()
        for raw in batch.open():  # strings found in another facet too ("Light pink" is a makeup shade in Shopify)
            text = batch.text(raw)
            if has_cjk(text) or LIST.search(text):
                continue
            tokens = [t for t in normalize(text).split() if t != "s"]
            inner = None if hierarchical else self._inner_value(tokens, facet)
            if inner is not None:
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[inner], self.name)
                continue  # "very high heels": Very high, not High
            kept = self.strip(tokens, facet)
            if not kept and all(any(ch.isdigit() for ch in t) for t in tokens):
                continue  # "7XL", "2024": numbers alone are for the other stages to judge
            dropped = [t for t in tokens if t not in kept]
            if not hierarchical and any(len(t) == 1 and t.isalpha() for t in dropped):
                continue  # "X-Large", "S/M": a letter is a size code, read whole or not at all
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
            if hierarchical and any(self._names_value(t, facet) for t in dropped):
                strict.add(raw)  # "velvet sofa": a word dropped that names a category too: the head's bar applies
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
                if value is not None and not (
                    hierarchical and self._outranked(batch.text(raw), value.id, facet, raw in strict)
                ):
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
            if others.vetoed or any(o.mapped.value is not None or o.candidates for o in others.done.values()):
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
            if hierarchical and self._describes_next(tokens, i, describing, facet):
                continue  # "glass teapot", "velvet sofa": a material before the head describes it (Glass is a category)
            if hierarchical and i > 0 and is_unit(wordnet, token, tokens[i - 1]):
                continue  # "14 inch laptop", "2 litre jug": a unit after a number measures the thing
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

    def _describes_next(self, tokens: list[str], i: int, describing: frozenset[str], facet: str | None) -> bool:
        """Whether token ``i`` is a value of a describing facet that does not name a value with the next token
        ("velvet" in "velvet sofa"; not "wine" in "wine glasses")."""
        token = tokens[i]
        if i + 1 >= len(tokens) or not (stem(token) in describing or token in describing):
            return False
        return not self._names_value(f"{token} {tokens[i + 1]}", facet)

    def _inner_value(self, tokens: list[str], facet: str | None) -> str | None:
        """In a flat facet, the one value a run of two or more words names, when every other word is a modifier."""
        tables = self.m.tables
        for size in range(len(tokens) - 1, 1, -1):
            for start in range(len(tokens) - size + 1):
                key = keys(" ".join(tokens[start : start + size]))[1]
                found = {
                    v for t in (tables.names, tables.synonyms, tables.aliases) for v in scope(t["sing"].get(key), facet)
                }
                rest = tokens[:start] + tokens[start + size :]
                if len(found) == 1 and not self.strip(rest, facet):
                    return found.pop()
        return None

    def _names_value(self, token: str, facet: str | None) -> bool:
        tables = self.m.tables
        key = keys(token)[1]
        return any(scope(t["sing"].get(key), facet) for t in (tables.names, tables.synonyms, tables.aliases))

    def facet_words(self, facet: str | None) -> frozenset[str]:
        found = self._facet_words.get(facet)
        if found is None:
            found = self._facet_words[facet] = facet_words(self.m, facet)
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

    def _outranked(self, text: str, vid: str, facet: str | None, strict: bool) -> bool:
        """Whether another value is more than ``WHOLE_TRAIL`` nearer the whole string than the value its stripped
        phrase names ("hot deals" is no kind of Planks, "sticky tape" no Tape Measure); ``strict``: the head's bar
        (``_agreement``). False without an embedder."""
        if not self.m.use_embeddings:
            return False
        if strict:
            return self._agreement(text, vid, facet) is None
        return agreement(self.m, text, vid, facet, -1.0, WHOLE_TRAIL) is None

    def _agreement(self, text: str, vid: str, facet: str | None) -> float | None:
        """The whole string's similarity to the value (``agreement.agreement``): at least ``HEAD_AGREEMENT``, no
        rival more than ``HEAD_TRAIL`` nearer. "travel backpack" is nearest Hiking Backpacks and barely less near
        Backpacks: the head stands; "clothes washer" is far nearer Washing Machines than the Washers its head names:
        it does not."""
        return agreement(self.m, text, vid, facet, HEAD_AGREEMENT, HEAD_TRAIL)

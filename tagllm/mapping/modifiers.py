"""The modifier stage: drop what describes a value rather than names it, then look the rest up (or its head)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.mapping.agreement import HEAD_AGREEMENT, HEAD_TRAIL, WHOLE_TRAIL, agreements, rivals_nearer
from tagllm.mapping.base import Batch, Outcome, Stage
from tagllm.mapping.colours import says_many_colours
from tagllm.mapping.compounds import coordinated, head_modifies, idiom, named_tails, other_kind, postmodified
from tagllm.mapping.describing import describes
from tagllm.mapping.keys import stem, words_of
from tagllm.mapping.lexical import LIST
from tagllm.mapping.modifier_checks import (
    audience_unsaid,
    faux_reading,
    homonym_far_from_path,
    looks_like,
    other_material,
    reject_lookalikes,
    sense_disagrees,
    shelf,
)
from tagllm.mapping.modifier_context import HeadContext
from tagllm.mapping.modifier_words import (
    FIGURATIVE_SHADES,
    QUANTITY_WORDS,
    fit_marked,
    hallmarked,
)
from tagllm.mapping.stripping import Stripper
from tagllm.mapping.vocabulary import FacetVocabulary
from tagllm.taxonomy import Value
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

PERCENTAGE = re.compile(r"\d\s*%")
"""A share of a whole ("100%", "5 %"): beside a material's name only, a statement of what a thing is made of."""
FLAT_AGREEMENT = 0.7
"""In a flat facet, a head beside a noun that describes nothing known ("mulberry silk", "food grade silicone") is taken
only when the whole string is at least this similar to the value (no other value nearer): "croutons zipper" is not."""


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
        self.vocab = FacetVocabulary(mapper)
        self.stripper = Stripper(mapper, self.vocab)
        self.context = HeadContext(mapper, self.vocab)

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        hierarchical = facet is None or self.m.taxonomy.facets[facet].hierarchical
        plans: dict[str, list[str]] = {}
        dropped_of: dict[str, list[str]] = {}
        strict: set[str] = set()
        for raw in batch.open():  # strings found in another facet too ("Light pink" is a makeup shade in Shopify)
            planned = self._plan(batch, raw, facet, hierarchical)
            if planned is None:
                continue
            kept, dropped = planned
            plans[raw] = kept
            dropped_of[raw] = dropped
            if hierarchical and any(self.vocab.names_value(t, facet) for t in dropped):
                strict.add(raw)  # "velvet sofa": a word dropped that names a category too: the head's bar applies
        if not hierarchical and facet is not None and self.vocab.has_faux(facet):
            reject_lookalikes(self.m, batch, plans)
        if not plans:
            return
        naming = self.m.naming
        stages = [*self.m.lookups, self.m.colour, *naming[len(self.m.lookups) :]]
        # the colour stage reads the rest ("dusty rose" -> rose -> Pink), but a word beside the head that is a colour
        # of its own ("forest" in "forest green") names no other value: only names block the head
        whole = {
            raw: " ".join(kept) for raw, kept in plans.items() if kept and kept != normalize(batch.text(raw)).split()
        }
        found = self.m.lookup(whole.values(), facet, stages)
        heads: dict[str, str] = {}
        tails: dict[str, list[str]] = {}
        named: dict[str, Value] = {}
        for raw, kept in plans.items():
            phrase = whole.get(raw)
            outcome = found.done.get(phrase) if phrase else None
            if outcome is not None and outcome.mapped.value is not None:
                value = self._named_whole(batch, raw, kept, dropped_of[raw], outcome, facet, hierarchical)
                if value is not None:
                    named[raw] = value
            elif len(kept) > 2 and hierarchical:
                tails[raw] = kept
            elif len(kept) > 1:
                heads[raw] = kept[-1]
        outranked = self._outranked(batch, named, facet, strict) if hierarchical else set()
        for raw, value in named.items():
            if raw not in outranked:
                batch.done[raw] = self.m.accept(raw, facet, value, self.name)
        # "electric pressure cooker": the longest tail that names a value is the compound the words describe
        claimed = named_tails(self.m, batch, tails, stages)
        heads |= {raw: kept[-1] for raw, kept in tails.items() if raw not in claimed}
        if heads:
            self._heads(batch, heads, plans, dropped_of, hierarchical, stages, naming)

    def _named_whole(
        self,
        batch: Batch,
        raw: str,
        kept: list[str],
        dropped: list[str],
        outcome: Outcome,
        facet: str | None,
        hierarchical: bool,
    ) -> Value | None:
        """The value the words ``kept`` of an open string name, as the lookup of them found it (``outcome``), once
        the words ``dropped`` and the string are read against it; None where it is no kind of that value (the last
        word modifies it, a shelf, another audience's) or is negated (a string that only looks like it is settled
        in ``batch.done``)."""
        found_value = outcome.mapped.value
        assert found_value is not None
        if hierarchical and (
            head_modifies(kept[-1], found_value)
            or len(kept) == 1
            and self.context.compound([*dropped, kept[-1]], found_value.id, facet)
        ):
            return None  # "bed pillow" is no Pillow Beds; "draining rack": Dish Racks & Drain Boards, not Racks
        if hierarchical and shelf(self.m, self.vocab, outcome, dropped, facet):
            return None  # "fizzy drinks": WordNet's drink is a beverage, but Beverages is every drink's shelf
        if hierarchical:
            found_value = self.context.kind_named(dropped, found_value, facet)  # "wool beanie hat": Beanies
        if hierarchical and self.context.audience_elsewhere(dropped, found_value):
            return None  # "baby cot": a baby's cot is filed under Baby & Toddler Furniture, not camping's Cots
        if hierarchical and audience_unsaid(self.m, self.vocab, words_of(batch.text(raw)), dropped, found_value.id):
            return None  # "car perfume": no pets' Perfumes
        value = faux_reading(self.m, self.vocab, batch.text(raw), found_value, facet)
        if value is None and looks_like(self.vocab, batch.text(raw), found_value, facet):
            reason = f"{batch.text(raw)!r} only looks like {found_value.name!r}: no value of facet {facet!r}"
            batch.done[raw] = self.m.reject(raw, facet, reason)
        return value

    def _plan(
        self, batch: Batch, raw: str, facet: str | None, hierarchical: bool
    ) -> tuple[list[str], list[str]] | None:
        """The words of an open string left to look up once its modifiers are stripped, and those stripped; None
        where this stage does not read the string (a list, an idiom, a number or a size code read whole, a word the
        fuzzy stage reads) or has settled it in ``batch.done`` (a value named inside it, or a string that counts
        things, says what a thing is made of or only describes)."""
        text = batch.text(raw)
        if has_cjk(text) or LIST.search(text):
            return None
        tokens = words_of(text)
        if hierarchical and (
            postmodified(tokens, self.vocab.facet_words(facet)) or idiom(self.m, tokens) or coordinated(tokens)
        ):
            return None  # "pot for making tea" is no Tea, a "couch potato" no Potatoes, "foundation and primer" two
        if not hierarchical and not self.vocab.numeric(facet):
            tokens = hallmarked(tokens)  # "925 silver", "S925": sterling silver, not silver and a number
        if not hierarchical and len(tokens) == 1:
            tokens = self.stripper.split(tokens[0], facet) or tokens  # "turtleneck", "longsleeve"
        if not hierarchical and self.vocab.numeric(facet):
            tokens = fit_marked(tokens)  # "30W x 30L", "42R", "toddler 8C": the size's number
        inner = None if hierarchical else self.stripper.inner_value(tokens, facet)
        if inner is not None:
            batch.done[raw] = self.m.accept(raw, facet, self.m.values[inner], self.name)
            return None  # "very high heels": Very high, not High
        kept = self.stripper.strip(tokens, facet)
        if not kept and all(any(ch.isdigit() for ch in t) for t in tokens):
            return None  # "7XL", "2024": numbers alone are for the other stages to judge
        dropped = [t for t in tokens if t not in kept]
        if not hierarchical and any(len(t) == 1 and t.isalpha() for t in dropped):
            return None  # "X-Large", "S/M": a letter is a size code, read whole or not at all
        if any(ch.isdigit() for t in kept for ch in t) and any(ch.isdigit() for t in dropped for ch in t):
            return None  # "0-3m" is no size 0: a number is read whole or not at all
        if len(tokens) == 1 and not kept and self.m.fuzzy.candidates(tokens[0], facet):
            return None  # "multicolour" is an adjective and a spelling of Multicolor: the fuzzy stage reads it
        if not hierarchical and counts_items(kept, dropped, self.vocab.facet_words(facet)):
            reason = f"{text!r} counts things, it names no colour: no value of facet {facet!r}"
            batch.done[raw] = self.m.reject(raw, facet, reason)
            return None  # "multi-pack" is many items; "multi colour pack" still says its colours
        if hierarchical and PERCENTAGE.search(text) and " ".join(kept) in self.vocab.describing(facet):
            reason = f"{text!r} says what a thing is made of, not what it is: no value of facet {facet!r}"
            batch.done[raw] = self.m.reject(raw, facet, reason)
            return None  # "100% cotton" is no Cotton fabric, "100% cotton t-shirt" still a T-shirt
        if tokens and not kept and raw not in batch.elsewhere:
            reason = f"only describes a value ({' '.join(tokens)!r}), names none of facet {facet!r}"
            batch.done[raw] = self.m.reject(raw, facet, reason)
            return None
        if hierarchical and (
            " ".join(kept) in self.vocab.describing(facet)
            and not self.vocab.names_value(" ".join(kept), facet)
            or raw in batch.elsewhere
            and describes(self.m, batch.elsewhere[raw])
        ):
            return None  # "pale pink" in a category: a colour, not the flower; "summer dress" is a dress
        return kept, [t for t in tokens if t not in kept]

    def _heads(
        self,
        batch: Batch,
        heads: dict[str, str],
        plans: dict[str, list[str]],
        dropped_of: dict[str, list[str]],
        hierarchical: bool,
        stages: list[Stage],
        naming: list[Stage],
    ) -> None:
        """The last word of each open phrase, taken when the rest of the phrase does not make it another thing."""
        facet = batch.facet
        head_found = self.m.lookup(heads.values(), facet, stages)
        checked: dict[str, Value] = {}  # heads the embedder must agree with: checked over the batch at once
        for raw, head in heads.items():
            outcome = head_found.done.get(head)
            if outcome is None or outcome.mapped.value is None:
                continue
            value = outcome.mapped.value
            if hierarchical and plans[raw][-2] in FIGURATIVE_SHADES:
                continue  # "soft toy", "dark horse": a shade word kept before a noun makes a compound with it
            if hierarchical and self.context.audience_elsewhere(dropped_of[raw], value):
                continue  # "baby sleeping bag": no camping Sleeping Bags
            beside = dropped_of[raw] + plans[raw][:-1]
            if hierarchical and audience_unsaid(self.m, self.vocab, words_of(batch.text(raw)), beside, value.id):
                continue  # "trekking poles": no pets' agility Poles
            if hierarchical and shelf(self.m, self.vocab, outcome, dropped_of[raw] + plans[raw][:-1], facet):
                continue  # "sparkling drinks": the head is WordNet's beverage, and Beverages a shelf, not its kind
            if hierarchical and sense_disagrees(self.m, plans[raw][-2], plans[raw][-1], value.id):
                continue  # "hair grips": WordNet's hairgrip is a hairpin, far from the tools' Grips
            if (
                hierarchical
                and len(plans[raw]) == 2
                and not dropped_of[raw]
                and homonym_far_from_path(self.m, plans[raw][0], plans[raw][1], value.id)
            ):
                continue  # "sun cream": a noun far from Food > Dairy Products says which cream: not this one
            if batch.candidates.get(raw) and value.id not in batch.candidates[raw]:
                continue  # WordNet read the whole string as other values ("blow dryer": hair dryers, not Dryers)
            others = self.m.lookup(plans[raw][:-1], facet, naming)
            if others.vetoed or any(_names_other(o, value) for o in others.done.values()):
                continue  # "navy blue", "clothes washer", "stand mixer": another word names a value (or several)
            if not hierarchical and other_material(self.m, self.vocab, plans[raw][:-1], facet):
                # "PU leather" is polyurethane made to look like leather: no Leather, and no later guess either
                reason = f"{batch.text(raw)!r} names another material with {value.name!r}: an imitation or a blend"
                batch.done[raw] = self.m.reject(raw, facet, reason)
                continue
            if not hierarchical and self.context.part_of_name(plans[raw][:-1], value, facet):
                continue  # "double xl": "double" is a word of another value's name (Double extra large), not a shade
            if not hierarchical and self.context.describes_head(plans[raw][:-1], batch.text(raw), facet):
                negated = faux_reading(self.m, self.vocab, batch.text(raw), value, facet)
                if negated is not None:
                    batch.done[raw] = self.m.accept(raw, facet, negated, self.name)
            elif hierarchical and (
                self.context.compound(plans[raw], value.id, facet)
                or self.context.compound([*dropped_of[raw], plans[raw][-1]], value.id, facet)
            ):
                continue  # "stand mixer": Stand Cement Mixers says "stand" tells kinds of mixer apart
            elif hierarchical and other_kind(words_of(batch.text(raw)), plans[raw], value):
                continue  # "bath sheet" is no Bed Sheets: the value's name gives the head another word of its own
            else:
                checked[raw] = value
        queries = [(batch.text(raw), value.id) for raw, value in checked.items()]
        rivals = [self.context.vertical_rivals(batch.text(raw), plans[raw][-1], v, facet) for raw, v in checked.items()]
        homonyms = rivals_nearer(self.m, queries, facet, rivals, HEAD_TRAIL) if hierarchical else [False] * len(rivals)
        for (raw, value), agreed, homonym in zip(
            checked.items(), agreements(self.m, queries, facet, HEAD_AGREEMENT, HEAD_TRAIL), homonyms, strict=True
        ):
            if agreed is None or homonym:
                continue  # "curling wand": Curling Irons, which "curling" names, is as near as the cat toys' Wands
            if hierarchical:
                batch.done[raw] = self.m.accept(raw, facet, value, self.name, round(agreed, 4))
            elif agreed >= FLAT_AGREEMENT:  # "croutons zipper": a noun beside the head the embedder does not read
                negated = faux_reading(self.m, self.vocab, batch.text(raw), value, facet)
                if negated is not None:
                    batch.done[raw] = self.m.accept(raw, facet, negated, self.name, round(agreed, 4))

    def _outranked(self, batch: Batch, named: dict[str, Value], facet: str | None, strict: set[str]) -> set[str]:
        """The strings whose stripped phrase names a value another value is more than ``WHOLE_TRAIL`` nearer (as
        whole strings: "hot deals" is no kind of Planks, "sticky tape" no Tape Measure); ``strict`` ones face the
        head's bar (``HEAD_AGREEMENT``, ``HEAD_TRAIL``). None without an embedder."""
        if not self.m.use_embeddings:
            return set()
        out: set[str] = set()
        for group, floor, trail in (
            ([r for r in named if r in strict], HEAD_AGREEMENT, HEAD_TRAIL),
            ([r for r in named if r not in strict], -1.0, WHOLE_TRAIL),
        ):
            queries = [(batch.text(raw), named[raw].id) for raw in group]
            out |= {
                raw for raw, a in zip(group, agreements(self.m, queries, facet, floor, trail), strict=True) if a is None
            }
        return out


def counts_items(kept: list[str], dropped: list[str], facet_words: frozenset[str] | set[str]) -> bool:
    """Whether what is left of a string says "many" only because a quantity word was dropped: "multi-pack", "assorted
    set" count items; "multi colour pack" names the facet and keeps its colours."""
    return (
        bool(kept)
        and says_many_colours(" ".join(kept))
        and any(t in QUANTITY_WORDS for t in dropped)
        and not any(t in facet_words or stem(t) in facet_words for t in dropped)
    )


def _names_other(outcome: Outcome, value: Value) -> bool:
    """Whether a word beside the head names a value other than the head's, or several ("navy" in "navy blue"); one
    that names the head's own value agrees with it ("scarlet" in "scarlet red")."""
    found = outcome.mapped.value
    return bool(outcome.candidates) or (found is not None and found.id != value.id)

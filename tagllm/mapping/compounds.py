"""Where a category string's head is: the longest tail that names a value ("electric pressure cooker"), never the last
word of a phrase after the head ("pot for making tea") or of a WordNet compound that is no kind of it ("couch potato").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.mapping.agreement import HEAD_AGREEMENT, HEAD_TRAIL, agreements, content_stems
from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.keys import stem
from tagllm.mapping.modifier_words import MODIFIER_WORDS
from tagllm.mapping.parents import joined_parent
from tagllm.taxonomy import Value
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

IDIOM_DEPTH = 6
"""How far up WordNet's hypernyms a compound's senses are searched for its last word ("bulldog clip" -> clip)."""
NAME_PARTS = re.compile(r"\s*(?:&|,)\s*|\s+and\s+")
"""Where a name that joins kinds splits ("Lunch Boxes & Totes")."""
POSTMODIFIERS = frozenset({"for", "of", "with", "without", "that", "which", "who"})
"""Words that open a phrase after a noun's head ("pot for making tea", "bed of roses", "mug with a lid"): in English
the head comes before them, so the last word of such a string is not its head."""


DETERMINERS = frozenset({"the", "your", "my", "our", "their"})
"""Words that open a noun phrase inside a clause ("kick the bucket", "light you carry in your hand"): a product's name
has none after its first word, so a string that does is a clause or an idiom, and its last word is not its head."""


def postmodified(tokens: list[str], facet_words: frozenset[str] = frozenset()) -> bool:
    """Whether a phrase that names something follows the first words ("device for crushing garlic", "piece of
    cake", "kick the bucket"); not an audience or a quantity ("jacket for men", "pack of socks": every word after it
    is a modifier, or the word before it is one), nor a determiner before the facet's own name (an answer that talks
    about the facet: "it belongs to the category Vacuums")."""
    if any(tokens[i] in DETERMINERS and tokens[i + 1] not in facet_words for i in range(1, len(tokens) - 1)):
        return True
    for i in range(1, len(tokens) - 1):
        if tokens[i] not in POSTMODIFIERS or tokens[i - 1] in MODIFIER_WORDS:
            continue
        if any(t not in MODIFIER_WORDS and not any(ch.isdigit() for ch in t) for t in tokens[i + 1 :]):
            return True
    return False


COORDINATORS = frozenset({"and", "or"})
"""Words that join two nouns as equals ("foundation and primer"): the last one is not the head of both."""


def coordinated(tokens: list[str]) -> bool:
    """Whether the last word is joined to the word before it as an equal ("foundation and primer", "soap or
    shampoo"), not a head the words before it describe ("salt and pepper grinder", "black and white dress"): then
    the string names two things and its last word alone is neither's category."""
    return len(tokens) >= 3 and tokens[-2] in COORDINATORS


def idiom(mapper: Mapper, tokens: list[str]) -> bool:
    """Whether the words are one of WordNet's compounds, none of whose senses is a kind of its last word ("couch
    potato", "cash cow", "hot potato"; not "bulldog clip", a clip): then the last word is not its head."""
    lexical = mapper.lexical
    wordnet = getattr(lexical, "wordnet", None) if lexical is not None else None
    if wordnet is None or len(tokens) < 2:
        return False
    senses = wordnet.noun_synsets(" ".join(tokens))
    head = {stem(tokens[-1])}
    return bool(senses) and not any(
        wordnet.reaches(h, head, IDIOM_DEPTH) for s in senses for h in wordnet.synset(s).hypernyms
    )


def named_tails(mapper: Mapper, batch: Batch, tails: dict[str, list[str]], stages: list[Stage]) -> set[str]:
    """Decides the strings whose longest tail of two or more words (short of the whole) names values outright
    ("king size duvet cover" -> Duvet Covers); returns the strings a tail named something for (one value or several),
    which the head rule must not read more loosely. One value is accepted under the head's bar (the whole string at
    least ``HEAD_AGREEMENT`` similar to it, no rival more than ``HEAD_TRAIL`` nearer)."""
    facet = batch.facet
    wanted = {raw: [" ".join(kept[i:]) for i in range(1, len(kept) - 1)] for raw, kept in tails.items()}
    found = mapper.lookup({t for ts in wanted.values() for t in ts}, facet, stages)
    claimed: set[str] = set()
    chosen: dict[str, str] = {}
    for raw, candidates in wanted.items():
        for tail in candidates:  # longest first
            outcome = found.done.get(tail)
            if outcome is None or outcome.mapped.value is None and not outcome.candidates:
                continue
            if outcome.mapped.value is not None and head_modifies(tail.split()[-1], outcome.mapped.value):
                continue  # "memory foam bed pillow": "bed pillow" is no Pillow Beds
            claimed.add(raw)
            if outcome.mapped.value is not None:
                chosen[raw] = outcome.mapped.value.id
            else:
                batch.candidates.setdefault(raw, outcome.candidates)
            break
    queries = [(batch.text(raw), vid) for raw, vid in chosen.items()]
    for (raw, vid), agreed in zip(
        chosen.items(), agreements(mapper, queries, facet, HEAD_AGREEMENT, HEAD_TRAIL), strict=True
    ):
        if agreed is not None:  # "boxing & mma gloves": the tail names MMA Gloves, the string its joined parent
            value = joined_parent(mapper.taxonomy, mapper.values[vid], batch.text(raw))
            batch.done[raw] = mapper.accept(raw, facet, value, "modifier", round(agreed, 4))
    return claimed


def head_modifies(head: str, value: Value) -> bool:
    """Whether the string's head is a word of the value's name only before another noun, never at the end of one of
    its parts ("bed pillow" and Pillow Beds: a pillow bed is a bed); the same words in another order name another
    thing. False when the head is no word of the name (a synonym's landing says nothing of its words)."""
    head = stem(head)
    parts = [[stem(w) for w in normalize(part).split()] for part in NAME_PARTS.split(value.name) if part.strip()]
    return any(head in part for part in parts) and not any(part and part[-1] == head for part in parts)


def other_kind(tokens: list[str], kept: list[str], value: Value) -> bool:
    """Whether the value's name puts a word of its own before the head where the string puts another noun ("bath sheet"
    and Bed Sheets, "light globes" and World Globes): two compounds of one head name two kinds. Only the word just
    before the head makes the compound, and only when the strip kept it ("king size fitted sheet": "fitted" describes);
    only when the head is a word of the value's name (a synonym's landing, "wireless earphones" -> Headphones, says
    nothing of its words)."""
    if len(tokens) < 2 or tokens[-2] not in kept[:-1]:
        return False
    head = stem(kept[-1])
    parts = [content_stems(part) for part in NAME_PARTS.split(value.name)]
    part = next((p for p in parts if head in p), None)
    if part is None:
        return False
    theirs = part - {head}
    return bool(theirs) and stem(tokens[-2]) not in theirs

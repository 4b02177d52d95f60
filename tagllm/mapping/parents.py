"""A joined parent named past its part: a value whose name is one part of its parent's "A & B" name ("Toilet Brushes"
under "Toilet Brushes & Holders") is one kind only, and a string that joins the parent's other part to it ("Toilet
Brush and Holder Set", "Boxing & MMA gloves") is the parent's, not the part's.

The title and modifier stages read a string by a phrase of it (the head phrase, the words left after stripping), and
the phrase names the part; the words around it are read only for what they deny. This check reads them once more, for
the parent's other part: the opposite of narrowing a value to the child a modifier names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.mapping.agreement import content_words
from tagllm.mapping.keys import stem

if TYPE_CHECKING:
    from tagllm.taxonomy import Taxonomy, Value

PARTS = re.compile(r"\s*(?:&|,)\s*|\s+and\s+")
"""Where a name that lists kinds parts ("Toilet Brushes & Holders", "Boxing & MMA Gloves & Mitts")."""
JOINERS = frozenset({"and", "&", "+", "plus", "with"})
"""Words that join a second thing to the one named ("brush and holder", "boxing & mma", "brush with holder"): a word
that only sits in the string ("Baking Mats ... Oven Liner", "Baby Bath Seat") describes the thing named."""
TOKENS = re.compile(r"[^\W_]+|[&+]")


def joined_parent(taxonomy: Taxonomy, value: Value, text: str) -> Value:
    """The parent of ``value`` when its name lists parts, every word of ``value``'s name is a word of it, and ``text``
    joins the head word of another of its parts to the rest ("toilet brush and holder set": Toilet Brushes & Holders,
    not Toilet Brushes; "coffee and tea set": Coffee & Tea Sets, their shared head the value's own); else ``value``.
    A part that is only said ("oven liner" in a title of baking mats), or a word of the other part before its head
    ("baby" in "Baby Bath Seat": Baby Bathtubs & Bath Seats), keeps the part."""
    if value.parent_id is None:
        return value
    parent = taxonomy.values[value.parent_id]
    parts = [_stems(p) for p in PARTS.split(parent.name) if p.strip()]
    own = frozenset(_stems(value.name))
    if len(parts) < 2 or not own or not own <= {w for p in parts for w in p}:
        return value
    heads = {_other_head(p, own) for p in parts if not own <= set(p) and not set(p) <= own}
    tokens = [t.casefold() for t in TOKENS.findall(text)]
    for i, token in enumerate(tokens):
        joined = i > 0 and tokens[i - 1] in JOINERS or i + 1 < len(tokens) and tokens[i + 1] in JOINERS
        if joined and stem(token) in heads:
            return parent
    return value


def _other_head(part: list[str], own: frozenset[str]) -> str:
    """The word naming another part than the value's: its head ("holder" of Holders), or where it shares its head with
    the value's name, the last word before it that is not the value's ("tea" of "Coffee & Tea Sets" to Coffee Sets:
    a set of both; "set with" joins nothing to a coffee set)."""
    return next(word for word in reversed(part) if word not in own)


def _stems(name: str) -> list[str]:
    """A name's content words (``agreement.content_words``), stemmed, in order: a part's last is its head."""
    return [stem(w) for w in content_words(name)]

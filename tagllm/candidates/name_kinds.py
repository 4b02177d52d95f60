"""What a value's name says beyond its head (``head_keys.name_heads``): the kind of the product it singles out by
words before its head's two ("Serger Sewing Machines"), and its modifier of two words written as one ("Cross Body
Bags": crossbody), with the spellings a title and a taxonomy may differ on (British -ise, American -ize)."""

from __future__ import annotations

import re

from tagllm.candidates.head_keys import CONJUNCT, head_key
from tagllm.candidates.title_head import FUNCTION_WORDS, MIN_PHRASE_WORDS
from tagllm.text import has_cjk, normalize

_BRITISH_ISE = re.compile(r"is(e|ed|er|ing|ation)$")


def kind_words(name: str) -> dict[tuple[str, str], frozenset[str]]:
    """Per (head word, word before it) of each conjunct of three words or more, the conjunct's words before those two,
    as ``spelling_key``s: the kind of the product the name singles out ('Serger Sewing Machines' -> {('machine',
    'sewing'): {'serger'}}); a conjunct of two words or fewer singles out none ('Coffee & Tea Cups')."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    for part in CONJUNCT.split(name.casefold()):
        words = normalize(part).split()
        if len(words) >= MIN_PHRASE_WORDS and not has_cjk(" ".join(words)):
            earlier = frozenset(spelling_key(head_key(w)) for w in words[:-2] if w not in FUNCTION_WORDS)
            out[head_key(words[-1]), head_key(words[-2])] = earlier
    return out


def spelling_key(key: str) -> str:
    """A ``head_key`` with British -ise spelt -ize ("computerised" meets "computerized"): a title's spelling and a
    taxonomy's may differ on it."""
    return _BRITISH_ISE.sub(r"iz\1", key)


def closed_modifiers(name: str) -> set[str]:
    """The two words before each conjunct's head written as one word, as a ``head_key`` ('Cross Body Bags' ->
    {'crossbody'}, 'Carry-On Suitcases' -> {'carryon'}): sellers write such a modifier closed ("Crossbody Bag")."""
    parts = [normalize(part).split() for part in CONJUNCT.split(name.casefold())]
    return {head_key(words[-3] + words[-2]) for words in parts if len(words) >= 3 and not has_cjk(words[-2])}

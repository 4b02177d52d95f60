"""The keys a product's head is compared by, and the heads a value's name has: what a title's head
(``title_head``) and the taxonomy's names (``head``, ``branches``, ``synonyms``, ``name_kinds``) meet in.

Kept apart from ``title_head`` because the names' side needs none of the title's reading: ``head_key`` folds a
word to its singular key, ``name_heads`` reads a value's name into its conjuncts' (head, word before it), and
``is_word`` tells a word from a size or a code."""

from __future__ import annotations

import re
from functools import lru_cache

from tagllm.text import IRREGULAR_PLURALS, has_cjk, looks_plural, normalize, singular

CONJUNCT = re.compile(r"\s*(?:,|&|/|\band\b|\bor\b)\s*")
_HAS_LETTER = re.compile(r"[^\W\d_]")
MIN_HEAD_LETTERS = 3  # the shortest head a closed compound is opened at ("tshirt": t + shirt)
# Nouns that count or group the product rather than name it ("Wooden Spoon Set", "Baby Bib Silicone Pack of 2"),
# as head keys; a closed class of English, not a list of products
COLLECTIVE = frozenset(
    {"set", "pack", "multipack", "kit", "pair", "bundle", "combo", "lot", "piece", "pc", "assortment", "count", "ct"}
)


@lru_cache(maxsize=65536)
def name_heads(name: str) -> frozenset[tuple[str, str]]:
    """(head word, word before it) of each conjunct of a value's name: 'Wallets & Money Clips' ->
    {('wallet', ''), ('clip', 'money')}; words as ``head_key``s, as in ``title_head.TitleHead``.

    Cached: building the head family reads each category name four times (its heads, the head finder's words, the
    attributes' scopes, its modifiers: 42,380 calls for Shopify's 10,595 names when tagging with no examples).

    A conjunct of one word in the singular, before a last conjunct of several words, shares that conjunct's head
    (category names are plural nouns, so a bare singular is a modifier): 'Coffee & Tea Cups' are coffee cups and tea
    cups, 'Black & White Film' is film, 'Casual & Party Wear Shirts' are shirts. A later conjunct of one plural word,
    after a first conjunct of several words headed by a plural, shares that conjunct's modifier: 'Horse Blankets &
    Sheets' are horse sheets, 'Camera Bags & Cases' camera cases (not any sheets, any cases)."""
    parts = [normalize(part).split() for part in CONJUNCT.split(name.casefold())]
    parts = [words for words in parts if words]
    if not parts:
        return frozenset()
    first, last = parts[0], parts[-1]
    shared = len(first) > 1 and looks_plural(first[-1]) and not has_cjk(first[-2])  # a modifier to share
    out: set[tuple[str, str]] = set()
    for words in parts:
        if has_cjk(words[-1]):
            continue
        if len(words) == 1 and len(last) > 1 and not looks_plural(words[0]) and not has_cjk(last[-1]):
            out.add((head_key(last[-1]), head_key(words[0])))
        elif len(words) == 1 and words is not first and shared and looks_plural(words[0]):
            out.add((head_key(words[0]), head_key(first[-2])))
        else:
            out.add((head_key(words[-1]), head_key(words[-2]) if len(words) > 1 else ""))
    return frozenset(out)


def category_heads(name: str) -> frozenset[tuple[str, str]]:
    """``name_heads``, with a head in "-is" also without its "s": ``head_key`` keeps "-is" whole (a "tennis", an
    "iris", a "chassis" are singular), so a name's plural of a word in "-i" ("Saris", "Bikinis", "Skis") met no title
    writing the word in the singular ("Silk Saree", which WordNet names sari, "Triangle Bikini Set"). The category's
    head family alone reads it: a singular in "-is" gains a key no title's word has ("tenni")."""
    heads = name_heads(name)
    return heads | {(w[:-1], before) for w, before in heads if len(w) > MIN_HEAD_LETTERS and w.endswith("is")}


@lru_cache(maxsize=65536)
def head_key(word: str) -> str:
    """A word's key for comparing heads: singular, 'mice' meets 'mouse', and 'knife' meets 'knives', 'scarf' meets
    'scarves' (the cheap singular leaves 'knive' and 'scarve').

    Cached: the names and titles repeat their words (346,199 calls tagging 2,000 Flipkart products against Shopify's
    categories with no examples)."""
    key = IRREGULAR_PLURALS.get(word) or singular(word)
    if key.endswith("ve"):
        return key[:-2] + "f"
    return key[:-1] if key.endswith("fe") else key


def is_word(token: str) -> bool:
    """A word that can head a phrase: it has letters and no digits (not a size, model number or code)."""
    return bool(_HAS_LETTER.search(token)) and not any(c.isdigit() for c in token)

"""Lexical hashing: the vectorised batch hashing agrees with the per-string definition it implements."""

from __future__ import annotations

from collections import Counter

import numpy as np

from tagllm.retrieval import lexical
from tagllm.retrieval.lexical import MAX_NGRAM, WORD_OFFSET, LexicalModel, hash_counts
from tagllm.text import normalize

MASK = 2**64 - 1


def _mix(x: int) -> int:
    return int(lexical._mix(np.array([x], dtype=np.uint64))[0])


def _sum_hash(text: str) -> int:
    return sum(ord(ch) * int(lexical._K[t % len(lexical._K)]) for t, ch in enumerate(text)) & MASK


def _bucket(h: int, kind: int) -> int:
    return (_mix((h + int(lexical._SALT[kind])) & MASK)) >> (64 - lexical.HASH_BITS)


def _reference(text: str) -> Counter[int]:
    """The features of one normalised text, one string at a time: char n-grams of ' word ', words, word pairs."""
    found: Counter[int] = Counter()
    words = text.split()
    for word in words:
        padded = f" {word} "
        for n in range(1, MAX_NGRAM + 1):
            for i in range(len(padded) - n + 1):
                gram = padded[i : i + n]
                if gram.strip():  # not all space
                    found[_bucket(_sum_hash(gram), n)] += 1
    hashes = [_sum_hash(w) for w in words]
    found.update(WORD_OFFSET + _bucket(h, MAX_NGRAM + 1) for h in hashes)
    pairs = [((_mix(a) * int(lexical._K[0])) + b) & MASK for a, b in zip(hashes, hashes[1:], strict=False)]
    found.update(WORD_OFFSET + _bucket(h, MAX_NGRAM + 2) for h in pairs)
    return found


TEXTS = [
    "red cotton shirt for men",
    "",
    "a",
    "陶瓷茶具 套装",
    "ab ab ab",
    "x" * 40 + " supercalifragilisticexpialidocious-and-more",  # words longer than the position constants
    "Ｗｏｍｅｎ's  Running   Shoes, size 9½",
]


def test_batch_hashing_matches_the_per_string_definition() -> None:
    normalized = [normalize(t) for t in TEXTS]
    matrix = hash_counts(normalized)
    assert matrix.shape == (len(TEXTS), lexical.N_FEATURES)
    for i, text in enumerate(normalized):
        row = matrix[i]
        assert dict(zip(row.indices.tolist(), row.data.tolist(), strict=True)) == _reference(text), text


def test_any_python_string_hashes_even_a_lone_surrogate() -> None:
    text = "caf\u00e9 \ud800x \U0001f600"  # normalize() would have removed the last two; hash_counts takes any str
    row = hash_counts([text])[0]
    assert dict(zip(row.indices.tolist(), row.data.tolist(), strict=True)) == _reference(text)


def test_a_texts_features_do_not_depend_on_its_batch() -> None:
    normalized = [normalize(t) for t in TEXTS]
    together = hash_counts(normalized)
    for i, text in enumerate(normalized):
        alone = hash_counts([text])
        assert (together[i] != alone[0]).nnz == 0
    assert hash_counts([]).shape == (0, lexical.N_FEATURES)


def test_words_and_character_ngrams_hash_into_separate_halves() -> None:
    counts = LexicalModel().counts(["Blue Denim Jacket"])
    chars, words = counts.indices < WORD_OFFSET, counts.indices >= WORD_OFFSET
    assert chars.sum() > 0 and words.sum() == 5  # blue, denim, jacket, blue denim, denim jacket

"""PhraseVectors: a head phrase the encoder reads as its product's text takes the product's vector, one met in an
earlier batch its vector then, and only the rest is encoded; each vector is the phrase's own."""

from __future__ import annotations

from typing import Any

import numpy as np

from tagllm.candidates.head_vectors import PhraseVectors
from tagllm.retrieval.embedder import Embedder


def test_texts_the_encoder_reads_alike_share_a_key(embedder: Embedder) -> None:
    keys = embedder.reading_keys(["Alloy Necklace", "alloy  necklace", "Women's Top", "women s top"])
    assert keys[0] == keys[1]  # the tokenizer lowercases and splits at spaces
    assert keys[2] != keys[3]  # the apostrophe is a token of its own
    assert Embedder(backend="torch").reading_keys(["Alloy Necklace"]) == ["Alloy Necklace"]


def test_a_phrase_read_as_its_products_text_or_met_before_is_not_encoded_again(
    embedder: Embedder, counting_embedder: Any
) -> None:
    counting = counting_embedder
    vectors = PhraseVectors(counting)  # type: ignore[arg-type]
    texts = ["Alloy Necklace", "Nivia Men's Polo Neck T-Shirt\nSoft cotton, for sport"]
    emb = embedder.encode(texts)
    first = vectors(["alloy necklace", "nivia men s polo neck t shirt"], texts, emb)
    assert counting.calls == [["nivia men s polo neck t shirt"]]
    assert np.array_equal(first[0], emb[0])
    later = ["Steel Water Bottle 1 L"]
    second = vectors(["nivia men s polo neck t shirt", "steel water bottle"], later, embedder.encode(later))
    assert counting.calls == [["nivia men s polo neck t shirt"], ["steel water bottle"]]
    assert np.array_equal(second[0], first[1])
    phrases = ["alloy necklace", "nivia men s polo neck t shirt", "steel water bottle"]
    assert np.allclose(np.vstack([first, second[1:]]), embedder.encode(phrases), atol=1e-6)


def test_a_batch_of_no_phrases_gives_no_rows(embedder: Embedder) -> None:
    assert PhraseVectors(embedder)([], [], np.zeros((0, embedder.dim), np.float32)).shape == (0, embedder.dim)

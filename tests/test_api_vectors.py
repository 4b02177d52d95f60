"""Embeddings a caller gives ``Tagger.tag_batch`` (``vectors=``): a matrix that is not one row per valid product of
the embedder's width is refused saying what was given and what is expected, before anything is tagged. A NaN vector
of the tagger's own embedder is its product's error record instead, and the batch goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tagllm.config import TaggerConfig
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

ITEMS = [{"id": "a", "title": "Blue denim jeans"}, {"id": "b", "title": ""}, {"id": "c", "title": "Red floral dress"}]


@pytest.fixture
def tagger(demo_taxonomy: Any, demo_index_dir: Path, embedder: Any) -> Tagger:
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    return Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(facets=["category"]))


def test_vectors_of_another_width_are_refused_naming_the_width_expected(tagger: Tagger) -> None:
    """Vectors of another embedding model (7 wide, not 384) failed in FAISS with a bare AssertionError."""
    with pytest.raises(ValueError) as error:
        tagger.tag_batch(ITEMS, vectors=np.zeros((2, 7), dtype=np.float32))
    width = tagger.embedder.dim
    assert str(error.value) == (
        f"vectors of shape 2x7 for 2 products; the embedder's are 2x{width}: give the vectors the tagger's embedder "
        "makes (tagger.embedder.encode(texts)), or leave vectors out"
    )


def test_a_vector_per_item_counting_an_error_record_is_refused_saying_which_rows_are_wanted(tagger: Tagger) -> None:
    vectors = tagger.embedder.encode(["Blue denim jeans", "", "Red floral dress"])
    with pytest.raises(ValueError) as error:
        tagger.tag_batch(ITEMS, vectors=vectors)
    assert str(error.value) == (
        "3 vectors for 2 products: give one row per valid product of the batch (an item that is an error record has "
        "none)"
    )


def test_the_embedders_vectors_of_the_valid_products_tag_as_the_tagger_would(tagger: Tagger) -> None:
    vectors = tagger.embedder.encode(["Blue denim jeans", "Red floral dress"]).tolist()  # a list is taken too
    given = tagger.tag_batch(ITEMS, vectors=vectors)
    own = tagger.tag_batch(ITEMS)
    assert [(r.product_id, r.status) for r in given] == [("a", "ok"), ("b", "error"), ("c", "ok")]
    assert [r.best("category") for r in given] == [r.best("category") for r in own]


def test_one_products_vector_given_alone_is_refused_by_its_shape_not_counted_as_many(tagger: Tagger) -> None:
    """A 1-D vector for a batch of one was read as 384 vectors for 1 product."""
    vector = tagger.embedder.encode(["Blue denim jeans"])[0]
    with pytest.raises(ValueError) as error:
        tagger.tag_batch(ITEMS[:1], vectors=vector)
    width = tagger.embedder.dim
    assert str(error.value).startswith(f"vectors of shape {width} for 1 products; the embedder's are 1x{width}: ")


@pytest.mark.parametrize(
    ("vectors", "got", "why"),
    [
        ("abc", "str 'abc'", "could not convert string to float: 'abc'"),
        ({"a": [1.0]}, "dict {'a': [1.0]}", "float() argument must be a string or a real number, not 'dict'"),
    ],
)
def test_vectors_that_are_not_numbers_are_refused_saying_what_was_given_and_what_is_expected(
    tagger: Tagger, vectors: Any, got: str, why: str
) -> None:
    """numpy's bare "could not convert string to float" named neither the argument nor what it should hold."""
    with pytest.raises(ValueError) as error:
        tagger.tag_batch(ITEMS, vectors=vectors)
    width = tagger.embedder.dim
    assert str(error.value) == (f"vectors must be a numeric array, one row per product (2x{width}); got {got} ({why})")


def test_vectors_holding_nan_or_infinity_are_refused_naming_the_rows_and_their_products(tagger: Tagger) -> None:
    """A NaN or infinite embedding (a caller's encoder that overflowed, a divide by a zero norm) made every product of
    the batch an error record blaming the backend; it is the caller's input, refused as a wrong width is."""
    vectors = tagger.embedder.encode(["Blue denim jeans", "Red floral dress"])
    vectors[0, 3] = np.nan
    vectors[1, 0] = np.inf
    with pytest.raises(ValueError) as error:
        tagger.tag_batch(ITEMS, vectors=vectors)
    assert str(error.value) == (
        "vectors rows 0 (product 'a'), 1 (product 'c') hold NaN or infinite values: the model that made them is "
        "broken; give finite embeddings (the tagger's embedder makes them: tagger.embedder.encode(texts)), or leave "
        "vectors out"
    )


def overflow(monkeypatch: pytest.MonkeyPatch, embedder: Any) -> None:
    """Make the embedder give a text holding "overflow" a NaN vector (a half-precision export whose sums overflow on
    some texts), until the test ends."""
    encode = embedder.encode

    def overflowing(texts, **kwargs):  # type: ignore[no-untyped-def]
        vectors = encode(texts, **kwargs)
        for row, text in enumerate(texts):
            if "overflow" in text:
                vectors[row] = np.nan
        return vectors

    monkeypatch.setattr(embedder, "encode", overflowing)


BROKEN = [{"id": "a", "title": "Blue denim jeans"}, {"id": "x", "title": "Quantum overflow widget"}, ITEMS[2]]


def unembedded_error(embedder: Any, product_id: str) -> dict[str, Any]:
    message = (
        f"the embedder ({embedder.name}) gave this product's text a non-finite vector (NaN or infinite values), so "
        "it cannot be matched: the embedding model is broken for this text (an export or precision that overflows); "
        "--resume retries it, but with the same embedder it fails the same way: fix the embedder first (another "
        "--embedder-backend such as onnx-fp32 or torch, or an index built with another --embedder)"
    )
    return {"field": None, "line": None, "record_id": product_id, "message": message, "is_retryable": True}


def test_a_nan_vector_of_the_taggers_own_embedder_is_that_products_error_record(
    tagger: Tagger, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was refused as a caller's vectors are: one product's NaN row raised ValueError and stopped the batch (and
    tag_file), blaming vectors the caller never gave."""
    clean = tagger.tag_batch([BROKEN[0], BROKEN[2]])
    overflow(monkeypatch, tagger.embedder)
    for results in (tagger.tag(BROKEN), tagger.tag_batch(BROKEN)):  # encoded by windows, and by the batch
        assert [(r.product_id, r.status) for r in results] == [("a", "ok"), ("x", "error"), ("c", "ok")]
        error = results[1].error
        assert error is not None and error.model_dump() == unembedded_error(embedder, "x")
        assert [r.best("category") for r in (results[0], results[2])] == [r.best("category") for r in clean]


def test_tag_file_goes_on_past_a_product_its_embedder_gives_a_nan_vector_and_resume_retries_it(
    tagger: Tagger, embedder: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from output_rows import rows_by_id

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(item) + "\n" for item in BROKEN))
    out = tmp_path / "out.jsonl"
    overflow(monkeypatch, tagger.embedder)
    summary = tagger.tag_file(src, out)
    assert (summary.tagged, summary.failed, summary.exit_code) == (2, 1, 1)
    rows = rows_by_id(out)
    assert {pid: row["status"] for pid, row in rows.items()} == {"a": "ok", "x": "error", "c": "ok"}
    assert rows["x"]["error"] == {k: v for k, v in unembedded_error(embedder, "x").items() if v is not None}
    monkeypatch.undo()  # the embedder mended
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.failed, again.retried, again.skipped) == (1, 0, 1, 2)
    assert rows_by_id(out)["x"]["status"] == "ok"

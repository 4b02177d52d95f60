"""A product with no letter or digit in any of its text and no photo (a title of emoji or symbols alone): an error
record saying so, not a product tagged from no words (the index's guess, or no tags, counted as tagged)."""

from __future__ import annotations

import json
from pathlib import Path

from tagllm.io import read_products
from tagllm.models import Product, RecordError


def test_a_title_of_symbols_alone_is_an_error_record_unless_other_text_or_a_photo_says_what_it_is(
    tmp_path: Path,
) -> None:
    records = [
        {"id": "e1", "title": "👗"},
        {"id": "e2", "title": "!!!", "attributes": {"?": "-"}},
        {"id": "e3", "title": "★", "attributes": {"Color": ""}},  # a key alone names nothing of the product
        {"id": "a1", "title": "★", "attributes": {"Color": "Red"}},
        {"id": "d1", "title": "🔥🔥🔥", "description": "Red cotton summer dress"},
        {"id": "p1", "title": "👗", "images": ["dress.jpg"]},
        {"id": "b1", "title": "1984"},
        {"id": "z1", "title": "连衣裙"},
    ]
    path = tmp_path / "products.jsonl"
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))
    read = list(read_products(path))
    assert [item.id for item in read if isinstance(item, Product)] == ["a1", "d1", "p1", "b1", "z1"]
    errors = [item for item in read if isinstance(item, RecordError)]
    assert [(error.record_id, error.field, error.line) for error in errors] == [
        ("e1", "title", 1),
        ("e2", "title", 2),
        ("e3", "title", 3),
    ]
    assert errors[0].message == (
        f"{path}:1: record 'e1' has no words to tag it from: its title '👗' holds no letter or digit, and it has no "
        "description, brand, attributes, queries or photos; give it a title that names the product"
    )


def test_a_product_object_of_symbols_alone_is_an_error_result_as_its_dict_is() -> None:
    from tagllm.io.products import as_product

    made = as_product(Product(id="e1", title="!!!"), 0)
    read = as_product({"id": "e1", "title": "!!!"}, 0)
    assert isinstance(made, RecordError) and isinstance(read, RecordError)
    assert (made.record_id, made.field, made.message) == (read.record_id, read.field, read.message)
    assert made.message.startswith("batch:1: record 'e1' has no words to tag it from")
    kept = Product(id="d1", title="🔥", description="Red cotton summer dress")
    assert as_product(kept, 0) is kept


def test_a_product_whose_photos_alone_say_what_it_is_is_an_error_result_for_a_tagger_that_reads_no_photos(
    demo_index_dir: Path, demo_taxonomy: object, embedder: object
) -> None:
    """The demo index holds no photos: the dress's photo was never read, and it was tagged from a title of no words
    (the index's guess, counted as tagged)."""
    from tagllm.config import TaggerConfig
    from tagllm.retrieval.index import ExampleIndex
    from tagllm.tagger import Tagger

    index = ExampleIndex.load(demo_index_dir)
    tagger = Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig())  # type: ignore[arg-type]
    products = [{"id": "p1", "title": "👗", "images": ["dress.jpg"]}, {"id": "p2", "title": "Red dress"}]
    results = tagger.tag(products)
    assert [(r.product_id, r.status) for r in results] == [("p1", "error"), ("p2", "ok")]
    error = results[0].error
    assert error is not None and (error.field, error.line) == ("title", 1)
    assert error.message == (
        "batch:1: record 'p1' has no words to tag it from: its title '👗' holds no letter or digit, and this tagger "
        "reads no photos (its index holds none of its examples' photos); give it a title that names the product"
    )


def test_the_error_result_of_a_product_whose_photos_are_not_read_names_the_setting_that_leaves_them_out(
    demo_index_dir: Path, demo_taxonomy: object, embedder: object
) -> None:
    """One message for every case ("its index holds none of its examples' photos, or --image-embedder none") told a
    run with no index to look at its index, and one with inputs [text] to look at two settings it never gave."""
    from tagllm.config import TaggerConfig
    from tagllm.retrieval.index import ExampleIndex
    from tagllm.tagger import Tagger

    index = ExampleIndex.load(demo_index_dir)
    cases = [
        (
            None,
            TaggerConfig(),
            "this run has no index; photos are read through an index built from examples with photos",
        ),
        (index, TaggerConfig(image_embedder="none"), "--image-embedder none turns photos off"),
        (index, TaggerConfig(inputs=["text"]), "inputs is [text], which leaves photos out"),
    ]
    for used, config, reason in cases:
        tagger = Tagger(demo_taxonomy, index=used, embedder=embedder, config=config)  # type: ignore[arg-type]
        (result,) = tagger.tag([{"id": "p1", "title": "👗", "images": ["dress.jpg"]}])
        assert result.error is not None and result.error.message == (
            "batch:1: record 'p1' has no words to tag it from: its title '👗' holds no letter or digit, and this "
            f"tagger reads no photos ({reason}); give it a title that names the product"
        )

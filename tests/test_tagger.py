"""The tagger end to end on the demo taxonomy with the retrieval backend: exact tags, provenance, bad records."""

from __future__ import annotations

import json
import re

import pytest

from tagllm.config import TaggerConfig
from tagllm.models import Neighbour, Product, TagResult
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

DATA = __import__("pathlib").Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def tagger(demo_taxonomy, demo_index_dir, embedder):  # type: ignore[no-untyped-def]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    return Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5))


def leaf(result, facet="category"):  # type: ignore[no-untyped-def]
    tag = result.best(facet)
    return tag.id if tag else None


def test_tags_english_and_chinese_products(tagger) -> None:  # type: ignore[no-untyped-def]
    products = [json.loads(line) for line in (DATA / "products.jsonl").read_text().splitlines()]
    results = tagger.tag(products)
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    assert [leaf(r) for r in results] == ["apparel-tshirts", "apparel-dresses", "electronics-headphones"]
    assert "color-blue" in {t.id for t in results[0].tags["color"]}  # 'Navy' is a synonym of Blue
    # 红色 is Red's Chinese label: the top colour candidate, but too few demo examples carry a colour to fit a stacker,
    # and a value stated only in Chinese is right under half the time (tagllm.candidates.stated), so none is kept
    assert results[1].provenance is not None
    assert results[1].provenance.candidates["color"][0].id == "color-red"
    assert "color" not in results[1].tags
    assert results[1].provenance.candidates["audience"][0].id == "audience-women"  # 女士, the same way


def test_every_tag_is_a_taxonomy_value_with_ancestors(tagger, demo_taxonomy) -> None:  # type: ignore[no-untyped-def]
    result = tagger.tag([{"id": "x", "title": "Men's Cotton Polo T-Shirt Navy"}])[0]
    ids = [t.id for t in result.tags["category"]]
    assert ids == ["apparel-tshirts", "apparel", "apparel-tops"]
    assert [t.source for t in result.tags["category"]] == ["retrieval", "ancestor", "ancestor"]
    for tags in result.tags.values():
        for tag in tags:
            assert tag.id in demo_taxonomy.values and 0.0 <= tag.confidence <= 1.0


def test_provenance_names_neighbours_candidates_and_versions(tagger, demo_taxonomy) -> None:  # type: ignore[no-untyped-def]
    result = tagger.tag([Product(id="p", title="Women's White Canvas Sneakers")])[0]
    prov = result.provenance
    assert prov.backend == "retrieval"
    assert prov.taxonomy_version == demo_taxonomy.version
    assert prov.neighbours[0].id == "ex-08" and prov.neighbours[0].score > 0.8
    assert prov.candidates["category"][0].id == "footwear-sneakers"
    assert json.loads(prov.raw_output)["category"] == "footwear-sneakers"


def test_results_built_without_validation_are_what_validating_them_gives(tagger) -> None:  # type: ignore[no-untyped-def]
    """Tags and neighbours are built with model_construct in the hot path: validating the written results again
    must give back exactly the same results (no field a validator would have coerced or refused)."""
    products = [json.loads(line) for line in (DATA / "products.jsonl").read_text().splitlines()]
    for result in tagger.tag(products):
        text = result.model_dump_json()
        assert TagResult.model_validate_json(text).model_dump_json() == text
        assert result.provenance is not None and result.provenance.neighbours
        for neighbour in result.provenance.neighbours:
            assert Neighbour.model_validate(neighbour.model_dump()) == neighbour


def test_bad_records_become_error_results_and_the_batch_goes_on(tagger) -> None:  # type: ignore[no-untyped-def]
    results = tagger.tag([{"id": "a", "title": ""}, {"id": "b", "title": "Gold Plated Necklace"}, {"title": None}])
    assert [r.status for r in results] == ["error", "ok", "error"]
    assert results[0].error.field == "title"
    assert results[0].error.message == "batch:1: record 'a' has no title; every product needs a non-empty title"
    assert results[2].product_id == "line-3"
    assert leaf(results[1]) == "jewellery-necklaces"


def test_a_pandas_list_cell_of_a_parquet_file_is_read_as_its_list(tagger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # pandas reads a Parquet list column as numpy arrays: with df.to_dict("records"), as the README says to pass a
    # DataFrame, every product with an images or queries cell (an empty one too) was an error result "field
    # 'images': expected a list of photo paths or URLs, got ndarray"; 2 of these 3 products were lost
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = {"id": ["a", "b", "c"], "title": ["Gold Plated Necklace"] * 3}
    table |= {"images": [["a.jpg", "a-back.jpg"], [], None], "queries": [["gold necklace"], [], None]}
    pq.write_table(pa.table(table), tmp_path / "products.parquet")
    items = pd.read_parquet(tmp_path / "products.parquet").to_dict("records")
    results = tagger.tag(items)
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    product = Product.model_validate(items[0])
    assert (product.images, product.queries) == (["a.jpg", "a-back.jpg"], ["gold necklace"])


def test_a_pandas_missing_cell_is_no_value_not_an_error(tagger) -> None:  # type: ignore[no-untyped-def]
    # df.to_dict("records") writes a missing cell as NaN: every product without a brand or a description was an error
    # result ("field 'brand': Input should be a valid string"), and an attribute's NaN was read as the text "nan"
    nan = float("nan")
    items = [
        {"id": "a", "title": "Gold Plated Necklace", "brand": nan, "description": nan, "queries": nan},
        {"id": "b", "title": "Gold Plated Necklace", "attributes": {"size": nan, "metal": "gold"}, "images": nan},
        {"id": "c", "title": nan, "brand": "Zara"},
    ]
    results = tagger.tag(items)
    assert [r.status for r in results] == ["ok", "ok", "error"]
    assert leaf(results[0]) == leaf(results[1]) == "jewellery-necklaces"
    assert Product.model_validate(items[1]).attributes == {"metal": "gold"}
    assert results[2].error.message == "batch:3: record 'c' has no title; every product needs a non-empty title"


def test_a_missing_cell_of_a_pandas_nullable_column_is_no_value_not_an_error(tagger) -> None:  # type: ignore[no-untyped-def]
    # pandas' nullable and Arrow-backed columns (read_csv(dtype="string"), convert_dtypes(), the default string
    # column of pandas 3) hold a missing cell as pd.NA, as its rows give it (df.itertuples(), df.iterrows(), as the
    # README says to pass them), and a date column's as NaT: every product without a brand was an error result
    # "field 'brand': expected text (a string or a number), got NAType (<NA>)", where NaN is no value
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "id": ["a", None, "c"],
            "title": ["Gold Plated Necklace", "Gold Plated Necklace", None],
            "brand": [None, "Zara", "Zara"],
        }
    ).convert_dtypes()
    rows = list(frame.itertuples(index=False))
    assert rows[0].brand is pd.NA and rows[1].id is pd.NA
    results = tagger.tag(rows)
    assert [(r.product_id, r.status) for r in results] == [("a", "ok"), ("line-2", "ok"), ("c", "error")]
    assert leaf(results[0]) == leaf(results[1]) == "jewellery-necklaces"
    assert results[2].error.message == "batch:3: record 'c' has no title; every product needs a non-empty title"
    cells = {"id": "d", "title": "Gold Plated Necklace", "description": pd.NaT, "attributes": {"size": pd.NA}}
    assert Product.model_validate(cells).model_dump(include={"description", "attributes"}) == {
        "description": None,
        "attributes": {},
    }


def test_threshold_backs_off_to_a_sure_ancestor_or_abstains(demo_taxonomy, demo_index_dir, embedder) -> None:  # type: ignore[no-untyped-def]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    strict = Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5, threshold=0.999))
    result = strict.tag([{"id": "x", "title": "Assorted gift box"}])[0]
    for tags in result.tags.values():
        assert all(t.confidence >= 0.999 for t in tags)


def test_gold_fields_never_reach_the_product(tagger) -> None:  # type: ignore[no-untyped-def]
    product = Product.model_validate({"id": "g", "title": "Jeans", "gold_category": "Apparel > Jeans", "sku": "J1"})
    assert "gold_category" not in product.model_dump_json()
    assert product.extra == {"sku": "J1"}


def test_small_batches_encode_once_per_window_and_tag_as_one_batch_does(tagger) -> None:  # type: ignore[no-untyped-def]
    products = [json.loads(line) for line in (DATA / "products.jsonl").read_text().splitlines()]
    items = [*products, {"id": "bad", "title": ""}, *[{**p, "id": f"{p['id']}-again"} for p in products]]
    calls: list[int] = []
    encode = tagger.embedder.encode

    def counting(texts, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return encode(texts, **kwargs)

    tagger.embedder.encode = counting
    try:
        small = list(tagger.tag_iter(items, batch_size=2))
    finally:
        tagger.embedder.encode = encode
    assert calls == [3]  # the six valid products' three texts in one call, then tagged two at a time
    assert [r.product_id for r in small] == [r["id"] for r in items]
    assert small[3].status == "error" and small[3].error.message.startswith("batch:4: record 'bad' has no title")
    whole = tagger.tag(items)
    timing = {"provenance": {"latency_ms"}}
    for a, b in zip(small, whole, strict=True):
        # matrix products over 2 rows and over 6 sum in another order: scores may differ in the last float bits
        assert _rounded(a.model_dump(exclude=timing)) == _rounded(b.model_dump(exclude=timing))


def _rounded(data):  # type: ignore[no-untyped-def]
    if isinstance(data, dict):
        return {k: _rounded(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_rounded(v) for v in data]
    return round(data, 4) if isinstance(data, float) else data


def test_a_brand_the_title_already_names_is_read_once() -> None:
    assert Product(id="a", title="Andrew Christian Men's Brief", brand="andrew christian").text() == (
        "Andrew Christian Men's Brief"
    )
    assert Product(id="b", title="Slim Fit Shirt", brand="Arrow").text() == "Slim Fit Shirt\nArrow"


def test_anything_in_a_batch_is_a_result_or_an_error_record_never_an_exception(tagger) -> None:  # type: ignore[no-untyped-def]
    items = [None, "a string", 42, ["title", "x"], {1: "x", "title": "y"}, {"title": "x", "queries": {"q": 3}},
             {"id": "ok", "title": "Gold plated necklace"}]  # fmt: skip
    results = tagger.tag(items)
    assert [(r.product_id, r.status) for r in results] == [
        ("line-1", "error"), ("line-2", "error"), ("line-3", "error"), ("line-4", "error"), ("line-5", "error"),
        ("line-6", "error"), ("ok", "ok"),
    ]  # fmt: skip
    assert [r.error.message for r in results[:6]] == [
        "batch:1: expected a product (a dict with a title, or a Product), got NoneType None",
        "batch:2: expected a product (a dict with a title, or a Product), got str 'a string'",
        "batch:3: expected a product (a dict with a title, or a Product), got int 42",
        "batch:4: expected a product (a dict with a title, or a Product), got list ['title', 'x']",
        "batch:5: field names must be strings, got 1",
        # a number is a query's text since 1570afd ("queries": 3 was this error): an object is none
        "batch:6: record 'line-6' field 'queries': expected a list of search queries (text), got an object "
        '({"q": 3})',
    ]
    assert leaf(results[6]) == "jewellery-necklaces"


@pytest.mark.parametrize(
    "single", [{"id": "s", "title": "Red shirt"}, Product(id="s", title="Red shirt"), "Red shirt"], ids=type
)
def test_one_product_outside_a_list_is_refused_with_the_fix(tagger, single) -> None:  # type: ignore[no-untyped-def]
    # iterated, a dict gives its keys, a Product its (field, value) pairs, a string its letters: each an error record
    refused = r"takes a batch \(a list\) of products, not a single \w+; for one product, pass \[product\]"
    for call in (tagger.tag, tagger.tag_batch, lambda items: list(tagger.tag_iter(items))):
        with pytest.raises(TypeError, match=refused):
            call(single)


@pytest.mark.parametrize(("given", "named"), [(None, "None"), (5, "an int (5)"), (2.5, "a float (2.5)")])
def test_something_that_is_no_batch_at_all_is_refused_naming_it(tagger, monkeypatch, given, named) -> None:  # type: ignore[no-untyped-def]
    # tag(None) (a query that found nothing) and tag_products(None, ...) raised "'NoneType' object is not iterable"
    import tagllm
    import tagllm.tagger as tagger_module

    refused = f"a tagger takes a batch (a list) of products, not {named}"
    for call in (tagger.tag, tagger.tag_batch, lambda items: list(tagger.tag_iter(items))):
        with pytest.raises(TypeError, match=re.escape(refused)):
            call(given)

    def built(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the tagger was built before the batch was checked")

    monkeypatch.setattr(tagger_module.Tagger, "from_config", built)
    with pytest.raises(TypeError, match=re.escape(refused)):
        tagllm.tag_products(given, taxonomy="demo", examples="examples.jsonl")


def test_a_table_is_refused_naming_the_call_that_gives_its_rows(tagger) -> None:  # type: ignore[no-untyped-def]
    # iterated, a DataFrame gives its column names: tag(df) of 1,000 rows returned 3 error records ("got str 'id'",
    # 'title', 'brand') and the rows were never seen; a pyarrow Table gave one error record per column
    import pandas as pd
    import pyarrow as pa

    rows = [{"id": f"r{i}", "title": "Red cotton shirt", "brand": "x"} for i in range(1000)]
    tables = [(pd.DataFrame(rows), 'df.to_dict("records")'), (pa.Table.from_pylist(rows), "table.to_pylist()")]
    for table, fix in tables:
        name = type(table).__name__
        refused = f"not a {name}, which gives its columns when iterated, not its rows; pass its rows as dicts: {fix}"
        for call in (tagger.tag, tagger.tag_batch, lambda items: list(tagger.tag_iter(items))):
            with pytest.raises(TypeError, match=re.escape(refused)):
                call(table)
    assert len(tagger.tag(pd.DataFrame(rows[:3]).to_dict("records"))) == 3


def test_a_title_of_100_kb_is_scored_from_its_first_8000_characters_and_the_batch_goes_on(tagger, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A 1 MB title stalled a run for over 10 minutes (finding the values a text states is quadratic in its
    mentions): the scorer reads a product's text cut to MAX_TEXT_CHARS. Asserted on what it reads, not on a clock."""
    from tagllm.models import MAX_TEXT_CHARS

    read: list[int] = []
    score = tagger.scorer.score

    def reading(texts, *args, **kwargs):  # type: ignore[no-untyped-def]
        read.extend(map(len, texts))
        return score(texts, *args, **kwargs)

    monkeypatch.setattr(tagger.scorer, "score", reading)
    title = "Red cotton shirt " * 6000  # 102,000 characters: a spreadsheet cell pasted into the title
    long, short = tagger.tag([{"id": "long", "title": title}, {"id": "short", "title": "Gold plated necklace"}])
    assert read == [MAX_TEXT_CHARS, len("Gold plated necklace")]
    assert (long.status, leaf(long), leaf(short)) == ("ok", "apparel-tshirts", "jewellery-necklaces")


def test_a_tagger_from_a_config_loads_an_index_built_with_the_default_encoder(demo_index_dir) -> None:  # type: ignore[no-untyped-def]
    # the manifest names the encoder (all-MiniLM-L6-v2+onnx-fp32 on a CPU); it was taken for a model directory
    manifest = json.loads((demo_index_dir / "manifest.json").read_text())
    tagger = Tagger.from_config(TaggerConfig(index=str(demo_index_dir)))
    assert tagger.config.embedder == "all-MiniLM-L6-v2"
    assert tagger.embedder.name == manifest["embedder"]
    result = tagger.tag([{"id": "p1", "title": "Men's Cotton Polo T-Shirt Navy"}])[0]
    assert result.best("category").id == "apparel-tshirts"  # type: ignore[union-attr]


def test_an_index_for_another_taxonomy_is_refused_when_the_tagger_is_made(demo_index_dir, embedder) -> None:  # type: ignore[no-untyped-def]
    # an index loaded without a taxonomy, then given to a Tagger with another: making the Tagger crashed (KeyError
    # 'apparel-dresses', a label the other taxonomy lacks) or, with the taxonomy edited since, it tagged with the old
    # one's labels under the new one's version
    from tagllm.errors import IndexMismatchError
    from tagllm.taxonomy import from_paths

    index = ExampleIndex.load(demo_index_dir)
    other = from_paths(["Apparel > Shirts", "Home > Mugs"], name="shop")
    with pytest.raises(IndexMismatchError) as error:
        Tagger(other, index=index, embedder=embedder, config=TaggerConfig(k=5))
    assert str(error.value) == (
        f"{demo_index_dir}: built for taxonomy 'demo' version {index.manifest['taxonomy_version']}, but the taxonomy "
        f"in use is 'shop' version {other.version}; rebuild the index (tagllm index build) or use the taxonomy it was "
        "built with"
    )


def test_settings_given_with_a_config_take_the_place_of_its_own(demo_index_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # given with a config, settings were ignored without a word: threshold=0.999 kept tags of confidence 0.19, and a
    # misspelt resum=True said nothing
    from tagllm.errors import ConfigError
    from tagllm.jobs import tag_file, tag_products

    config = TaggerConfig(index=str(demo_index_dir))
    result = tag_products([{"id": "x", "title": "Assorted gift box"}], config, threshold=0.999)[0]
    confidences = [t.confidence for tags in result.tags.values() for t in tags]
    assert all(c >= 0.999 for c in confidences)
    source = tmp_path / "products.jsonl"
    source.write_text('{"id": "x", "title": "Assorted gift box"}\n')
    with pytest.raises(ConfigError, match=r"resum=True: no such setting"):
        tag_file(source, tmp_path / "tags.jsonl", config, resum=True)
    assert not (tmp_path / "tags.jsonl").exists()
    assert config.threshold != 0.999  # the caller's config is left as it was


def test_tagllm_tag_file_warns_at_the_callers_line(demo_index_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the module's tag_file calls Tagger.tag_file: its InputWarning named tagllm/tagger.py (a fixed stacklevel), not
    # the line that called it
    import tagllm
    from tagllm.errors import InputWarning

    source = tmp_path / "products.jsonl"
    source.write_text('{"id": "x", "title": "Assorted gift box"}\n')
    config = TaggerConfig(index=str(demo_index_dir))
    with pytest.warns(InputWarning) as said:
        tagllm.tag_file(source, tmp_path / "tags.jsonl", config, columns={"title": "name"})
    assert [(str(w.message), w.filename) for w in said] == [
        (f"columns title=name: {source} has no column 'name'; its own 'title' is read instead", __file__)
    ]


def test_a_tagger_sent_to_another_process_is_refused_saying_to_send_its_config(tagger) -> None:  # type: ignore[no-untyped-def]
    # before: pickle failed deep inside, "cannot pickle 'onnxruntime...InferenceSession' object" (or a lock, an event
    # loop's thread), and a ProcessPoolExecutor or a multiprocessing pool given the tagger crashed saying no more
    import pickle

    with pytest.raises(TypeError) as refused:
        pickle.dumps(tagger.tag)  # as ProcessPoolExecutor().submit(tagger.tag, products) sends it
    assert str(refused.value) == (
        "a Tagger cannot be pickled or sent to another process: it holds loaded models and engines. Send its "
        "config (tagger.config, a TaggerConfig, pickles) and build one tagger per worker, once, with "
        "Tagger.from_config(config) (in a multiprocessing.Pool initializer, a Ray actor's __init__); on Ray Data, "
        "tagllm.distributed.tag_dataset does this"
    )
    assert pickle.loads(pickle.dumps(tagger.config)) == tagger.config


def test_a_title_given_as_a_number_is_tagged_as_its_text(tagger) -> None:  # type: ignore[no-untyped-def]
    # {"title": 1984} (a book) was an error result "field 'title': Input should be a valid string"; a pandas column of
    # numbers with a missing cell holds floats, 1984.0 for 1984
    import numpy as np

    results = tagger.tag(
        [{"id": "b1", "title": 1984}, {"id": "b2", "title": np.float64(1984.0)}, {"id": "b3", "title": False}]
    )
    assert [(r.product_id, r.status) for r in results] == [("b1", "ok"), ("b2", "ok"), ("b3", "error")]
    assert leaf(results[0]) == leaf(results[1])
    assert results[2].error.message == (
        "batch:3: record 'b3' field 'title': expected text (a string or a number), got a boolean (false)"
    )


def test_an_id_given_as_a_numpy_or_decimal_number_is_read_as_its_digits(tagger) -> None:  # type: ignore[no-untyped-def]
    # a pandas cell read with df.at is a numpy.int64, a database's NUMERIC column a Decimal: every such product was an
    # error record named by its position ("line-1: record np.int64(101) field 'id': Input should be a valid string")
    from decimal import Decimal

    import numpy as np

    items = [
        {"id": np.int64(101), "title": "Gold plated necklace"},
        {"id": Decimal("5001"), "title": "Gold plated necklace"},
        {"id": np.float32("nan"), "title": "Gold plated necklace"},
        {"id": Decimal("Infinity"), "title": "Gold plated necklace"},
        {"id": np.int64(7), "title": ""},
    ]
    results = tagger.tag(items)
    assert [(r.product_id, r.status) for r in results] == [
        ("101", "ok"), ("5001", "ok"), ("line-3", "ok"), ("line-4", "error"), ("7", "error"),
    ]  # fmt: skip
    assert leaf(results[0]) == leaf(results[1]) == "jewellery-necklaces"
    assert results[3].error.message == (
        "batch:4: record Decimal('Infinity') field 'id': the number is too large to be read (infinite); "
        "write the id as a string"
    )
    assert results[4].error.message == "batch:5: record np.int64(7) has no title; every product needs a non-empty title"


@pytest.mark.parametrize("size", [-1, 0, 2.5, True])
def test_a_batch_size_that_is_not_one_or_more_products_is_refused(tagger, size) -> None:  # type: ignore[no-untyped-def]
    # batch_size=-1 made an empty range of batches: tag_iter returned nothing for 3 products, without a word
    items = [{"id": "a", "title": "Gold plated necklace"}, {"id": "b", "title": "Red cotton shirt"}]
    refused = rf"batch_size must be a whole number of products, 1 or more, not {size!r}; leave it out \(None\)"
    with pytest.raises(ValueError, match=refused):
        list(tagger.tag_iter(items, batch_size=size))
    assert [r.product_id for r in tagger.tag_iter(items, batch_size=1)] == ["a", "b"]


def test_a_pandas_row_a_pydantic_model_or_a_dataclass_is_read_as_its_fields(tagger) -> None:  # type: ignore[no-untyped-def]
    # each was an error record ("expected a product (a dict with a title, or a Product), got Series id  101\ntitle …"):
    # tagger.tag(row for _, row in df.iterrows()) tagged nothing
    import dataclasses

    import pandas as pd
    import pydantic

    class Listing(pydantic.BaseModel):
        id: int
        title: str

    @dataclasses.dataclass
    class Row:
        id: str
        title: str

    frame = pd.DataFrame(
        {"id": [101, 102], "title": ["Gold plated necklace", "Gold plated necklace"], "brand": ["Zara", None]}
    )
    items = [*(row for _, row in frame.iterrows()), Listing(id=5, title="Gold plated necklace"), Row("d", "")]
    results = tagger.tag(items)
    assert [(r.product_id, r.status) for r in results] == [("101", "ok"), ("102", "ok"), ("5", "ok"), ("d", "error")]
    assert {leaf(r) for r in results[:3]} == {"jewellery-necklaces"}
    assert results[3].error.message == "batch:4: record 'd' has no title; every product needs a non-empty title"
    single = r"not a single Series; for one product, pass \[product\]"
    with pytest.raises(TypeError, match=single):
        tagger.tag(frame.iloc[0])  # iterated, a row gives its cells: each would be a bad record
    with pytest.raises(TypeError, match=r"not a DataFrame, .*df.to_dict\(\"records\"\)"):
        tagger.tag(frame)  # iterated, a DataFrame gives its column names
    # a column of records (dicts, Products) is a batch: it was refused as a single Series, "pass [product]", and given
    # so, it was one error record ("field names must be strings, got 0")
    column = pd.Series([{"id": "c1", "title": "Gold plated necklace"}, Product(id="c2", title="Gold plated necklace")])
    tagged = tagger.tag(column)
    assert [(r.product_id, leaf(r)) for r in tagged] == [("c1", "jewellery-necklaces"), ("c2", "jewellery-necklaces")]
    assert tagger.tag(column.iloc[:0]) == []  # a column filtered to nothing


def test_a_facet_the_taxonomy_lacks_is_refused_before_the_examples_are_embedded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """-f colour (a typo of color) with --examples: the index was built from the examples first (4m25s for
    flipkart-attributes' 900 examples on 2 cores) and only then was the facet found missing."""
    import tagllm.tagger as tagger_module
    from tagllm.errors import TaxonomyError

    def embedded(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the examples were embedded before the facets were checked")

    monkeypatch.setattr(tagger_module, "open_index", embedded)
    config = TaggerConfig(taxonomy="demo", examples="examples.jsonl", facets=["category", "colour"])
    with pytest.raises(TaxonomyError) as error:
        Tagger.from_config(config)
    assert str(error.value) == (
        "taxonomy 'demo' has no facet 'colour'; its facets are: category, color, material, audience"
    )


def test_facets_given_as_one_comma_list_are_told_to_take_one_flag_each(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """-f category,color (as --keep-columns takes its columns) said only "has no facet 'category,color'"."""
    from tagllm.errors import TaxonomyError

    config = TaggerConfig(taxonomy="demo", facets=["category, color"])
    with pytest.raises(TaxonomyError) as error:
        Tagger.from_config(config)
    assert str(error.value) == (
        "facet 'category, color': -f (--facet) names one facet; give each its own: -f category -f color (a config "
        "file's facets: a list, [category, color])"
    )


def test_tag_products_refuses_a_table_before_the_examples_are_embedded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """tagllm.tag_products(df, examples=...) built the tagger first (the examples embedded: 11.7 s for the 30 demo
    examples, minutes for thousands) and only then refused the DataFrame; so did it a single dict."""
    import pandas as pd

    import tagllm
    import tagllm.tagger as tagger_module

    def built(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the tagger was built before the batch was checked")

    monkeypatch.setattr(tagger_module.Tagger, "from_config", built)
    frame = pd.DataFrame([{"id": "1", "title": "Red cotton shirt"}])
    with pytest.raises(TypeError, match=re.escape('pass its rows as dicts: df.to_dict("records")')):
        tagllm.tag_products(frame, taxonomy="demo", examples="examples.jsonl")
    with pytest.raises(TypeError, match=re.escape("for one product, pass [product]")):
        tagllm.tag_products({"id": "1", "title": "Red cotton shirt"}, taxonomy="demo", examples="examples.jsonl")


def test_tag_file_checks_the_input_and_the_output_before_the_examples_are_embedded(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """tagllm.tag_file(source, target, examples=...) built the tagger first (the examples embedded into an index:
    minutes for thousands) and only then found the input missing, a CSV without a title column, or the output a
    directory; tagllm generate checks them first."""
    import tagllm
    import tagllm.tagger as tagger_module
    from tagllm.errors import InputError, OutputError

    def built(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the tagger was built before the input and the output were checked")

    monkeypatch.setattr(tagger_module.Tagger, "from_config", built)
    settings = {"taxonomy": "demo", "examples": "examples.jsonl"}
    with pytest.raises(InputError, match="no such file"):
        tagllm.tag_file(tmp_path / "missing.jsonl", tmp_path / "tags.jsonl", **settings)
    untitled = tmp_path / "untitled.csv"
    untitled.write_text("sku,name\n1,Red cotton shirt\n", encoding="utf-8")
    with pytest.raises(InputError, match="title"):
        tagllm.tag_file(untitled, tmp_path / "tags.jsonl", **settings)
    products = tmp_path / "products.jsonl"
    products.write_text('{"id": "1", "title": "Red cotton shirt"}\n', encoding="utf-8")
    (tmp_path / "out.jsonl").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        tagllm.tag_file(products, tmp_path / "out.jsonl", **settings)


def test_a_tagger_built_directly_tells_facets_given_as_one_comma_list_to_be_a_list(demo_taxonomy, embedder) -> None:  # type: ignore[no-untyped-def]
    """Tagger(taxonomy, config=TaggerConfig(facets=["category, color"])) said only "has no facet 'category, color'",
    where Tagger.from_config says how to name them."""
    from tagllm.errors import TaxonomyError

    config = TaggerConfig(facets=["category, color"])
    with pytest.raises(TaxonomyError, match=re.escape("give each its own: -f category -f color")):
        Tagger(demo_taxonomy, embedder=embedder, config=config)


def test_attributes_of_a_shape_not_read_are_named_with_the_shapes_that_are(tagger) -> None:  # type: ignore[no-untyped-def]
    """Attributes that are no mapping used to make an error record saying only "field 'attributes': Input should be a
    valid dictionary": neither what it got nor what to give instead. Shop API objects ([{"name": "Color", "value":
    "Blue"}]) and one string of "Key: Value" tags ("Color: Red; Size: M", a seller's CSV cell) are read since session
    s39; a string that holds no such tags, or a number, is an error record naming the shapes that are read, and the
    rest of the batch is tagged beside it."""
    items = [
        {"id": "a1", "title": "Red cotton shirt", "attributes": "Color: Red; Size: M"},
        {"id": "a2", "title": "Blue jeans", "attributes": [{"name": "Color", "value": "Blue"}]},
        {"id": "a3", "title": "Blue jeans", "attributes": 5},
        {"id": "a4", "title": "Red cotton shirt", "attributes": "Red cotton"},
    ]
    results = tagger.tag(items)
    assert [r.status for r in results] == ["ok", "ok", "error", "error"]
    from tagllm.models import Product

    assert Product.model_validate(items[0]).attributes == {"Color": "Red", "Size": "M"}
    errors = [results[2], results[3]]
    expected = [("batch:3: record 'a3'", "int 5"), ("batch:4: record 'a4'", "str 'Red cotton'")]
    for result, (record, got) in zip(errors, expected, strict=True):
        message = result.error.message
        assert message.startswith(f"{record} field 'attributes': expected a mapping of attribute name to value")
        assert message.endswith(f"got {got}")
        assert "[key, value] pairs" in message and '"Key: Value" tags' in message
    assert [r.error.field for r in errors] == ["attributes"] * 2


def test_an_id_given_as_a_uuid_is_read_as_its_text(tagger) -> None:  # type: ignore[no-untyped-def]
    """A database's UUID key (psycopg and SQLAlchemy rows, a pydantic or SQLModel model with ``id: UUID``) made every
    product an error record named by its position ("batch:1: record UUID('…') field 'id': Input should be a valid
    string"), where the same products in a JSONL file, their ids written as text, were tagged."""
    import uuid

    import pydantic

    class Row(pydantic.BaseModel):
        id: uuid.UUID
        title: str

    key = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    results = tagger.tag([{"id": key, "title": "Gold plated necklace"}, Row(id=key, title="Gold plated necklace")])
    assert [(r.product_id, r.status) for r in results] == [(str(key), "ok")] * 2
    assert leaf(results[0]) == leaf(results[1]) == "jewellery-necklaces"


def test_a_named_tuple_row_is_read_as_its_fields(tagger) -> None:  # type: ignore[no-untyped-def]
    """df.itertuples() (pandas' fast row loop, a namedtuple per row), a collections.namedtuple or a database row
    with ``_asdict`` made every product an error record named by its position ("batch:1: expected a product (a dict
    with a title, or a Product), got Pandas Pandas(Index=0, id='n1', …"): 2 of 2 rows lost to tagging."""
    from collections import namedtuple

    import pandas as pd

    frame = pd.DataFrame({"id": ["n1", "n2"], "title": ["Gold plated necklace", "Gold plated necklace"]})
    Row = namedtuple("Row", ["id", "title"])
    items = [*frame.itertuples(), *frame.itertuples(index=False), Row("n3", "Gold plated necklace")]
    results = tagger.tag(items)
    assert [(r.product_id, r.status) for r in results] == [
        ("n1", "ok"), ("n2", "ok"), ("n1", "ok"), ("n2", "ok"), ("n3", "ok"),
    ]  # fmt: skip
    assert {leaf(r) for r in results} == {"jewellery-necklaces"}


def test_best_of_a_facet_not_tagged_names_the_facets_tagged_and_an_abstention_stays_none(  # type: ignore[no-untyped-def]
    demo_taxonomy, demo_index_dir, embedder
) -> None:
    """``best("colour")`` (a misspelt facet, or one the config leaves out) returned None, as an abstention does: a
    script counting the products without a colour counted every product, without a word."""
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    config = TaggerConfig(k=5, facets=["category", "color"])
    tagger = Tagger(demo_taxonomy, index=index, embedder=embedder, config=config)
    thing, bad = tagger.tag([{"id": "thing", "title": "Thing"}, {"id": "bad", "title": ""}])
    assert "color" not in thing.tags and thing.best("color") is None  # the default abstained: None, as before
    assert bad.status == "error" and bad.best("color") is None
    with pytest.raises(ValueError) as caught:
        thing.best("colour")
    assert str(caught.value) == (
        "thing: no facet 'colour' was tagged (did you mean 'color'?); the facets tagged: category, color"
    )
    with pytest.raises(ValueError, match=r"^bad: no facet 'material' was tagged; the facets tagged: category, color"):
        bad.best("material")  # in the taxonomy, but not asked for
    # a result read from a file does not know which facets were asked for: None, as before
    assert TagResult.model_validate_json(thing.model_dump_json()).best("colour") is None
    assert TagResult.model_validate_json(thing.model_dump_json()) == thing  # equal as before


def test_a_database_row_read_by_column_name_is_read_as_its_fields(tagger) -> None:  # type: ignore[no-untyped-def]
    """sqlite3's Row (``conn.row_factory = sqlite3.Row``, as its docs advise) is neither a dict nor a namedtuple: every
    row of a cursor was an error record ("expected a product (a dict with a title, or a Product), got Row
    <sqlite3.Row object at 0x…>"), 2 of 2 products lost to tagging."""
    import sqlite3

    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    connection.execute("create table products (id integer, title text, brand text)")
    connection.execute("insert into products values (7, 'Gold plated necklace', 'Zara'), (8, '', null)")
    results = tagger.tag(connection.execute("select * from products"))
    assert [(r.product_id, r.status) for r in results] == [("7", "ok"), ("8", "error")]
    assert leaf(results[0]) == "jewellery-necklaces"
    assert results[1].error.message == "batch:2: record 8 has no title; every product needs a non-empty title"


def test_a_pydantic_models_urls_are_read_as_their_text(tagger) -> None:  # type: ignore[no-untyped-def]
    """A catalogue's own model types its photos as ``HttpUrl`` (and prices as ``Decimal``): read as Python objects,
    every such product was an error record named by its place ("batch:1: record 1 field 'images': item 1 is HttpUrl
    HttpUrl('https://…'), not a photo path, URL or object with a src/url/path key")."""
    from decimal import Decimal

    import pydantic

    from tagllm.io import as_product

    class Listing(pydantic.BaseModel):
        id: int
        title: str
        price: Decimal
        images: list[pydantic.HttpUrl]

    listing = Listing(id=1, title="Gold plated necklace", price=Decimal("19.90"), images=["https://shop.example/1.jpg"])
    [result] = tagger.tag([listing])
    assert (result.product_id, result.status, leaf(result)) == ("1", "ok", "jewellery-necklaces")
    assert as_product(listing, 0).images == ["https://shop.example/1.jpg"]  # type: ignore[union-attr]


def test_a_bad_record_with_a_uuid_id_is_named_by_its_id(tagger) -> None:  # type: ignore[no-untyped-def]
    """A record read fine is named by its UUID's text, but one that failed was named by its place ("line-1", "record
    UUID('1b4e…')"): a script joining the results back to its rows by id lost the failure."""
    import uuid

    key = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    [result] = tagger.tag([{"id": key, "title": ""}])
    assert (result.product_id, result.status, result.error.record_id) == (str(key), "error", str(key))
    assert result.error.message == f"batch:1: record '{key}' has no title; every product needs a non-empty title"


def test_an_item_whose_fields_cannot_be_read_is_an_error_result_and_the_batch_goes_on(tagger) -> None:  # type: ignore[no-untyped-def]
    """A dataclass holding a lock (or a connection: ``dataclasses.asdict`` copies every field) and a pydantic model
    whose computed field raises stopped the whole call with that exception: the products beside them, read fine,
    were not tagged."""
    import dataclasses
    import threading

    import pydantic

    @dataclasses.dataclass
    class Listing:
        id: str
        title: str
        lock: object

    class Priced(pydantic.BaseModel):
        id: str
        title: str

        @pydantic.computed_field  # type: ignore[prop-decorator]
        @property
        def price(self) -> float:
            raise LookupError("no price for this product")

    items = [
        {"id": "a", "title": "Gold plated necklace"},
        Listing("b", "Gold plated necklace", threading.Lock()),
        Priced(id="c", title="Gold plated necklace"),
    ]
    results = tagger.tag(items)
    assert [(r.product_id, r.status) for r in results] == [("a", "ok"), ("line-2", "error"), ("line-3", "error")]
    assert [r.error.message for r in results[1:]] == [
        "batch:2: cannot read the fields of Listing (TypeError: cannot pickle '_thread.lock' object)",
        "batch:3: cannot read the fields of Priced (LookupError: no price for this product)",
    ]


def test_a_config_files_path_given_as_the_config_is_read_and_anything_else_is_refused(demo_index_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``tag_file("in.jsonl", "out.jsonl", "tagllm.yaml")`` failed with "expected str, bytes or os.PathLike object, not
    builtin_function_or_method", and a dict of settings with "'dict' object has no attribute 'index'"."""
    from tagllm.jobs import tag_file, tag_products

    file = tmp_path / "tagllm.yaml"
    file.write_text(f"index: {demo_index_dir}\nk: 5\n")
    source = tmp_path / "products.jsonl"
    source.write_text('{"id": "x", "title": "Gold plated necklace"}\n')
    assert tag_file(source, tmp_path / "tags.jsonl", str(file), threshold=0.5).tagged == 1
    [result] = tag_products([{"id": "x", "title": "Gold plated necklace"}], file)
    assert leaf(result) == "jewellery-necklaces"
    refused = (
        "{} takes a TaggerConfig, not a dict: build it with tagllm.load_config(PATH, **settings) (a config file, then "
        "settings over it) or TaggerConfig(**settings)"
    )
    with pytest.raises(TypeError) as raised:
        tag_products([{"id": "x", "title": "Gold plated necklace"}], {"index": str(demo_index_dir)})  # type: ignore[arg-type]
    assert str(raised.value) == refused.format("config")
    with pytest.raises(TypeError) as raised:
        Tagger.from_config({"index": str(demo_index_dir)})  # type: ignore[arg-type]
    assert str(raised.value) == refused.format("Tagger.from_config")


def test_tag_file_given_products_in_memory_names_tag_before_the_tagger_is_built(monkeypatch, tagger) -> None:  # type: ignore[no-untyped-def]
    """``tag_file(df, "tags.jsonl")`` (a DataFrame, a list of dicts) failed with Python's "expected str, bytes or
    os.PathLike object, not DataFrame", which said nothing of what to call instead."""
    import pandas as pd

    import tagllm.jobs as jobs_module
    import tagllm.tagger as tagger_module

    def built(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the tagger was built before the input was checked")

    products = [{"id": "1", "title": "Red cotton shirt"}]
    told = (
        "tag_file reads a file of products: give its path (or '-' for stdin), not a {}; tag products in memory with "
        'tag() or tag_products() (a DataFrame as df.to_dict("records")), and write the results yourself'
    )
    for source in (pd.DataFrame(products), products):
        with pytest.raises(TypeError) as raised:
            tagger.tag_file(source, "tags.jsonl")
        assert str(raised.value) == told.format(type(source).__name__)
        monkeypatch.setattr(tagger_module.Tagger, "from_config", built)
        with pytest.raises(TypeError) as raised:
            jobs_module.tag_file(source, "tags.jsonl", taxonomy="demo")
        assert str(raised.value) == told.format(type(source).__name__)
        monkeypatch.undo()
    with pytest.raises(TypeError) as raised:
        tagger.tag_file(DATA / "products.jsonl", None)
    assert str(raised.value) == "tag_file writes a file of results: give its path (or '-' for stdout), not a NoneType"

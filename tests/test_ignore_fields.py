"""ignore_fields: the tagger reads its examples and its products without the same fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError
from tagllm.models import Product

DATA = Path(__file__).parent / "data"


def _examples_with_specs(tmp_path: Path) -> Path:
    """The demo examples, each with a description and a specification that state its colour."""
    rows = [json.loads(line) for line in (DATA / "demo_examples.jsonl").read_text().splitlines() if line.strip()]
    for row in rows:
        colour = row["labels"].get("color", ["color-none"])[0].removeprefix("color-")
        row["description"] = f"A {colour} one."
        row["attributes"] = {"Colour": colour}
    path = tmp_path / "examples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_examples_are_read_without_the_ignored_fields_and_keep_their_labels(tmp_path, demo_taxonomy) -> None:  # type: ignore[no-untyped-def]
    from tagllm.retrieval.index import read_examples

    path = _examples_with_specs(tmp_path)
    read, errors = read_examples(path, demo_taxonomy, ignore_fields=["attributes", "description"])
    whole, _ = read_examples(path, demo_taxonomy)
    assert not errors and len(read) == len(whole)
    assert all(e.attributes == {} and e.description is None for e in read)
    assert all(e.attributes and e.description for e in whole)
    assert [e.labels for e in read] == [e.labels for e in whole]
    assert read[0].text() == whole[0].title + ("\n" + whole[0].brand if whole[0].brand else "")


def test_an_index_records_what_its_examples_were_read_without_and_a_tagger_reads_products_alike(  # type: ignore[no-untyped-def]
    tmp_path, demo_taxonomy, embedder
) -> None:
    from tagllm.assembly import build_index
    from tagllm.tagger import Tagger

    target = tmp_path / "index"
    build_index(_examples_with_specs(tmp_path), demo_taxonomy, embedder, target, ignore_fields=["description"])
    assert json.loads((target / "manifest.json").read_text())["ignore_fields"] == ["description"]

    tagger = Tagger.from_config(TaggerConfig(index=str(target)))  # the index's setting, adopted
    assert tagger.config.ignore_fields == ["description"]
    product = Product(id="p", title="Cotton T-Shirt", description="A red one.", attributes={"Colour": "red"})
    seen = tagger.retrieval.visible(product)
    assert isinstance(seen, Product) and seen.description is None and seen.attributes == {"Colour": "red"}
    assert product.description == "A red one."  # the caller's product is not changed
    [result] = tagger.tag([product])
    assert result.status == "ok"


def test_a_tagger_that_would_read_products_otherwise_than_its_index_read_the_examples_stops_at_setup(  # type: ignore[no-untyped-def]
    tmp_path, demo_taxonomy, embedder
) -> None:
    from tagllm.assembly import build_index
    from tagllm.tagger import Tagger

    target = tmp_path / "index"
    build_index(_examples_with_specs(tmp_path), demo_taxonomy, embedder, target)
    said = r"ignore_fields attributes does not match the index .*: its examples were read with every field"
    with pytest.raises(ConfigError, match=said):
        Tagger.from_config(TaggerConfig(index=str(target), ignore_fields=["attributes"]))


def test_the_cached_index_of_an_examples_file_is_another_one_for_other_ignored_fields(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tagllm.tagger import Tagger

    examples = str(_examples_with_specs(tmp_path))
    whole = Tagger.from_config(TaggerConfig(examples=examples))
    ignoring = Tagger.from_config(TaggerConfig(examples=examples, ignore_fields=["attributes", "description"]))
    assert whole.index is not None and ignoring.index is not None
    assert whole.index.examples[0].description and ignoring.index.examples[0].description is None


def test_an_evaluation_reads_the_examples_without_the_fields_it_hides_from_the_gold(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tagllm.evaluation.config import EvalConfig

    hiding = EvalConfig(gold="gold.jsonl", hide_fields=["attributes", "sku", "description"])
    assert hiding.tagger.ignore_fields == ["description", "attributes"]  # sku is no field a tagger reads
    own = EvalConfig(gold="gold.jsonl", hide_fields=["attributes"], tagger=TaggerConfig(ignore_fields=[]))
    assert own.tagger.ignore_fields == []
    assert EvalConfig(gold="gold.jsonl").tagger.ignore_fields == []


def test_index_build_and_generate_take_the_fields_to_ignore_and_name_a_wrong_one(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from tagllm.cli import app

    monkeypatch.chdir(tmp_path)  # the repo's own tagllm.yaml must not configure these runs
    runner = CliRunner()
    index = tmp_path / "index"
    examples = str(_examples_with_specs(tmp_path))
    built = runner.invoke(
        app, ["index", "build", examples, "-i", str(index), "--ignore-fields", "attributes,description"]
    )
    assert built.exit_code == 0, built.output
    assert json.loads((index / "manifest.json").read_text())["ignore_fields"] == ["attributes", "description"]

    out = tmp_path / "tags.jsonl"
    tagged = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "--index", str(index)])
    assert tagged.exit_code == 0, tagged.output
    assert len(out.read_text().splitlines()) == len((DATA / "products.jsonl").read_text().splitlines())

    wrong = runner.invoke(
        app, ["generate", str(DATA / "products.jsonl"), "--index", str(index), "--ignore-fields", "sku"]
    )
    assert isinstance(wrong.exception, ConfigError)  # `tagllm` exits 2 with it, before the first product
    assert "--ignore-fields sku: Input should be 'description', 'brand', 'attributes' or 'queries'" in str(
        wrong.exception
    )


def test_score_and_requests_read_a_product_as_tag_does(tmp_path, demo_taxonomy, embedder) -> None:  # type: ignore[no-untyped-def]
    from tagllm.tagger import Tagger

    examples = str(_examples_with_specs(tmp_path))
    tagger = Tagger.from_config(TaggerConfig(examples=examples, ignore_fields=["description"]))
    product = Product(id="p", title="Cotton T-Shirt", description="A red one.")
    [scored] = tagger.score([product])
    assert scored.product.description is None and product.description == "A red one."
    assert tagger.retrieval.seen(scored.product) is scored.product  # read once, not copied again


WORDS_ONLY_IN_THE_DESCRIPTION = {"id": "d1", "title": "🔥🔥🔥", "description": "Red cotton summer dress"}


def test_a_product_whose_only_words_are_in_an_ignored_field_is_an_error_record_and_the_batch_goes_on(  # type: ignore[no-untyped-def]
    tmp_path,
) -> None:
    from tagllm.tagger import Tagger

    examples = str(_examples_with_specs(tmp_path))
    tagger = Tagger.from_config(TaggerConfig(examples=examples, ignore_fields=["description"]))
    products = [{"id": "ok", "title": "Red cotton dress"}, WORDS_ONLY_IN_THE_DESCRIPTION, {"id": "t", "title": "Tee"}]
    results = tagger.tag(products)  # it was a ValueError "3 vectors for 2 products": every result lost
    assert [(r.product_id, r.status) for r in results] == [("ok", "ok"), ("d1", "error"), ("t", "ok")]
    error = results[1].error
    assert error is not None and (error.record_id, error.field, error.line) == ("d1", "title", 2)
    assert error.message == (
        "batch:2: record 'd1' has no words to tag it from: its title '🔥🔥🔥' holds no letter or digit, and "
        "ignore_fields hides its description; give it a title that names the product"
    )
    alone = tagger.tag_batch([WORDS_ONLY_IN_THE_DESCRIPTION])[0].error
    assert alone is not None and alone.message == error.message.replace("batch:2", "batch:1")
    assert Tagger.from_config(TaggerConfig(examples=examples)).tag([WORDS_ONLY_IN_THE_DESCRIPTION])[0].status == "ok"
    from tagllm.stages import request_rows  # the cluster's CPU stage reads it as tag() does: no request for it

    [row] = request_rows(tagger, [WORDS_ONLY_IN_THE_DESCRIPTION])
    assert row["request"] == "" and json.loads(row["error"])["message"] == alone.message


def test_a_file_run_names_the_line_of_a_product_whose_only_words_are_ignored_and_resume_retries_it(  # type: ignore[no-untyped-def]
    tmp_path,
) -> None:
    from tagllm.tagger import Tagger

    examples = str(_examples_with_specs(tmp_path))
    source = tmp_path / "products.jsonl"
    rows = [{"id": "ok", "title": "Red cotton dress"}, WORDS_ONLY_IN_THE_DESCRIPTION]
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    target = tmp_path / "tags.jsonl"
    tagger = Tagger.from_config(TaggerConfig(examples=examples, ignore_fields=["description"]))
    summary = tagger.tag_file(source, target)
    assert (summary.tagged, summary.failed) == (1, 1)
    written = [json.loads(line) for line in target.read_text().splitlines()]
    assert [(row["product_id"], row["status"]) for row in written] == [("ok", "ok"), ("d1", "error")]
    assert written[1]["error"]["message"] == (
        f"{source}:2: record 'd1' has no words to tag it from: its title '🔥🔥🔥' holds no letter or digit, and "
        "ignore_fields hides its description; give it a title that names the product"
    )
    rows[1] = {**WORDS_ONLY_IN_THE_DESCRIPTION, "title": "Summer dress"}  # the title fixed
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    again = tagger.tag_file(source, target, resume=True)
    assert (again.tagged, again.retried, again.skipped) == (1, 1, 1)
    assert [json.loads(line)["status"] for line in target.read_text().splitlines()][-1] == "ok"

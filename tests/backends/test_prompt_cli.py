"""`tagllm prompt render`: the messages exactly as the tagger builds them, with token counts from a tokenizer."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.errors import ConfigError, InputError

DATA = Path(__file__).resolve().parents[1] / "data"
BASE = ["prompt", "render", "--taxonomy", "demo", "--examples", str(DATA / "demo_examples.jsonl")]
BASE += ["--label-field", "labels", "--k", "3", "--max-candidates", "4"]
PRODUCT = '{"title": "Women\'s red floral cotton dress", "brand": "Zara"}'


@pytest.mark.slow
def test_render_prints_both_steps_with_token_counts(tiny_qwen_dir: Path) -> None:
    args = [*BASE, "--product", PRODUCT, "--tokenizer", str(tiny_qwen_dir), "--attribute-mode", "two_step"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["### step 1: the category", "=== system ==="]
    step2 = lines.index(
        "### step 2: the attributes of 'Apparel > Dresses' (the top category candidate; another with --category ID)"
    )
    first, second = lines[:step2], lines[step2:]
    product = 'Product to tag: {"title": "Women\'s red floral cotton dress", "brand": "Zara"}'
    assert product in first and product in second
    assert first[-2].startswith("--- template fewshot (") and first[-2].endswith(".j2), hash " + first[-2][-16:])
    assert second[-2].startswith("--- template attributes-fewshot (")
    assert 'Category (already chosen): "Apparel > Dresses"' in second
    assert "- category (Category; a path in a category tree; one value; required): " in "\n".join(first)
    assert not any(line.startswith("- category (") for line in second)  # step 2 asks no category
    for tail in (first[-1], second[-1]):
        assert tail.startswith("--- 2 messages, ")
        assert " characters; prompt tokens: " in tail and "shared static prefix: " in tail


@pytest.mark.slow
def test_render_json_holds_both_steps_and_their_schemas() -> None:
    args = [*BASE, "--product", PRODUCT, "--prompt", "zeroshot-zh", "--json", "--attribute-mode", "two_step"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["template"] == "zeroshot-zh"
    assert [m["role"] for m in out["messages"]] == ["system", "user"]
    assert list(out["schema"]["properties"]) == ["category"]
    category = out["schema"]["properties"]["category"]
    assert category["type"] == "string" and 1 <= len(category["enum"]) <= 4
    assert out["messages"][1]["content"].endswith(
        '待标注商品：{"title": "Women\'s red floral cotton dress", "brand": "Zara"}'
    )
    step = out["attribute_step"]
    assert (step["template"], step["category"]) == ("attributes-zeroshot-zh", "apparel-dresses")
    assert list(step["schema"]["properties"]) == ["color", "material", "audience"]
    assert step["schema"]["properties"]["audience"]["enum"][-1] is None  # optional: null is an answer
    assert step["messages"][1]["content"].startswith('已选类目："Apparel > Dresses"（连衣裙）\n\n候选项：')


@pytest.mark.slow
def test_render_shows_the_attribute_step_of_a_chosen_category_or_one_call() -> None:
    runner = CliRunner()
    args = [*BASE, "--product", PRODUCT, "--attribute-mode", "two_step", "--category", "footwear-boots"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "### step 2: the attributes of 'Footwear > Boots' (--category)" in result.stdout.splitlines()
    # The demo's facets apply everywhere: auto asks everything in one call.
    one = runner.invoke(app, [*BASE, "--product", PRODUCT, "--json"])
    assert one.exit_code == 0, one.output
    out = json.loads(one.stdout)
    assert "attribute_step" not in out
    assert list(out["schema"]["properties"]) == ["category", "color", "material", "audience"]
    bad = runner.invoke(app, [*BASE, "--product", PRODUCT, "--category", "Boots"])
    assert bad.exit_code != 0
    assert str(bad.exception) == "--category 'Boots' is not a category id of taxonomy 'demo'"


@pytest.mark.slow
def test_render_refuses_a_category_when_there_is_no_attribute_step_to_show() -> None:
    # --category was ignored without a word when the run asks in one call: the one request was printed, and the
    # attribute step of the category asked for was not
    runner = CliRunner()
    picks = "--category 'footwear-boots' picks the category whose attribute step is shown, but"
    one_call = runner.invoke(app, [*BASE, "--product", PRODUCT, "--category", "footwear-boots"])
    assert isinstance(one_call.exception, InputError) and one_call.stdout == ""
    assert str(one_call.exception) == (
        f"{picks} this run asks the category and the attributes in one call; add --attribute-mode two_step"
    )
    alone = runner.invoke(app, [*BASE, "--product", PRODUCT, "-f", "category", "--category", "footwear-boots"])
    assert isinstance(alone.exception, InputError) and alone.stdout == ""
    assert str(alone.exception) == (
        f"{picks} the facets tagged (category) are asked in one request, with no attribute step; tag the category "
        "and an attribute (-f category -f color) with --attribute-mode two_step to see it"
    )


def test_render_needs_a_product() -> None:
    result = CliRunner().invoke(app, ["prompt", "render", "--taxonomy", "demo"])
    assert result.exit_code != 0


@pytest.mark.parametrize(
    ("extra", "named"),
    [(["--input", "x.jsonl"], "--input"), (["--input", "x.jsonl", "--id", "p2"], "--input and --id")],
)
def test_render_refuses_a_product_and_a_file_both_given(extra: list[str], named: str) -> None:
    """`--product '{...}' -i products.jsonl` rendered --product alone, exit 0, as if it were the file's product."""
    result = CliRunner().invoke(app, [*BASE, "--product", PRODUCT, *extra])
    assert isinstance(result.exception, InputError) and result.stdout == ""  # main() prints it and exits 2
    assert str(result.exception) == (
        f"--product and {named} are both given: render either the product given as JSON or one of a file"
    )


def test_render_with_a_hub_id_for_tokenizer_says_it_needs_a_directory(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tagllm", *BASE, "--product", PRODUCT, "--tokenizer", "Qwen/Qwen2.5-7B-Instruct"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        "error: --tokenizer 'Qwen/Qwen2.5-7B-Instruct' is not a directory: token counts need the tokenizer on disk; "
        "download it first (e.g. `huggingface-cli download ORG/NAME --local-dir DIR`) and pass the directory\n"
    )


@pytest.mark.slow
def test_render_with_a_directory_that_holds_no_tokenizer_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [*BASE, "--product", PRODUCT, "--tokenizer", str(tmp_path)])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).startswith(f"--tokenizer {tmp_path}: no tokenizer could be loaded from it (")


def test_render_shows_where_the_photo_goes_and_why_one_is_missing(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (30, 40), (200, 20, 20)).save(tmp_path / "dress.png")
    products = tmp_path / "products.jsonl"
    products.write_text(
        '{"id": "a", "title": "Summer dress", "images": ["dress.png"]}\n'
        '{"id": "b", "title": "Summer dress", "images": ["gone.png"]}\n'
    )
    result = CliRunner().invoke(app, [*BASE, "--input", str(products), "--id", "a"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = lines.index('Product to tag: {"title": "Summer dress"}')
    assert lines[at + 1 : at + 4] == [
        "",
        "Photo of the product (use it too: it shows what the text may not say, such as the colour):",
        "[photo 1: dress.png]",
    ]
    result = CliRunner().invoke(app, [*BASE, "--input", str(products), "--id", "b"])
    assert result.exit_code == 0, result.output
    assert "[photo 1:" not in result.stdout
    assert f"--- photo not shown: gone.png: no such file ({tmp_path / 'gone.png'})" in result.stdout.splitlines()


@pytest.mark.parametrize("how", ["--id", "--product"])
def test_render_of_an_invalid_product_says_why_it_is_invalid(tmp_path: Path, how: str) -> None:
    """A record of --input with an empty title, asked for by --id, was said to be no product of the file ("no product
    with id 'x'"); given as --product it crashed with pydantic's ValidationError traceback. Both now carry the message
    of the error record generate writes for it."""
    from tagllm.errors import InputError

    products = tmp_path / "products.jsonl"
    products.write_text('{"id": "a1", "title": "Blue cotton tee"}\n{"id": "x", "title": ""}\n')
    given = ["--input", str(products), "--id", "x"] if how == "--id" else ["--product", '{"title": ""}']
    result = CliRunner().invoke(app, [*BASE, *given])
    assert isinstance(result.exception, InputError)  # main() prints it and exits 2
    assert str(result.exception) == (
        f"{products}:2: record 'x' has no title; every product needs a non-empty title"
        if how == "--id"
        else "--product: record 'product' has no title; every product needs a non-empty title"
    )


def test_render_of_an_input_whose_first_record_is_invalid_says_which_product_it_shows(tmp_path: Path) -> None:
    # without --id, a first record with no title was passed over without a word: the prompt shown was record 2's,
    # read by the analyst as record 1's
    products = tmp_path / "products.jsonl"
    products.write_text('{"id": "p1", "description": "no title"}\n{"id": "p2", "title": "Blue jeans"}\n')
    result = CliRunner().invoke(app, [*BASE, "--input", str(products)])
    assert result.exit_code == 0, result.output
    assert 'Product to tag: {"title": "Blue jeans"}' in result.stdout.splitlines()
    assert result.stderr == (
        "note: rendering 'p2' (line 2), the first valid product; 1 record(s) before it are invalid, the first: "
        f"{products}:1: record 'p1' has no title; every product needs a non-empty title\n"
    )
    products.write_text('{"id": "p1", "title": "Red dress"}\n{"id": "p2", "title": "Blue jeans"}\n')
    result = CliRunner().invoke(app, [*BASE, "--input", str(products)])
    assert (result.exit_code, result.stderr) == (0, "")


def test_render_with_columns_and_ignore_fields_is_generates_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`prompt render` had no --columns nor --ignore-fields: the prompt generate sends with them could not be shown
    (a usage error); the render now takes both, and its messages and schema are the request generate's backend gets."""
    from tagllm.backends.base import Backend, Generation, GenerationRequest

    products = tmp_path / "products.csv"
    products.write_text(
        "id,name,description,brand\nd1,Women's red floral cotton dress,Lightweight summer dress with pockets,Zara\n"
    )
    received: list[GenerationRequest] = []

    class Recorder(Backend):
        name, model, supports_schema, supports_images = "openai", "tiny", True, True

        def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
            received.extend(requests)
            return [Generation(error="recorded, not answered") for _ in requests]

    monkeypatch.setattr("tagllm.tagger.get_backend", lambda name, **options: Recorder())
    flags = [*BASE[2:], "--columns", "title=name", "--ignore-fields", "description"]
    run = ["generate", str(products), "-o", str(tmp_path / "out.jsonl"), "--backend", "openai", "--model", "tiny"]
    result = CliRunner().invoke(app, [*run, *flags])
    assert result.exit_code == 1, result.output  # the one product an error record: the recorder answers nothing
    result = CliRunner().invoke(app, ["prompt", "render", "--input", str(products), "--json", *flags])
    assert result.exit_code == 0, result.output
    rendered = json.loads(result.stdout)
    assert len(received) == 1
    assert (rendered["messages"], rendered["schema"]) == (received[0].messages, received[0].schema)
    product = 'Product to tag: {"title": "Women\'s red floral cotton dress", "brand": "Zara"}'
    assert rendered["messages"][-1]["content"].endswith(product)  # titled from name, its description not read


def test_render_of_a_product_given_as_json_reads_it_through_columns() -> None:
    """--columns was applied to --input's records only: a --product pasted from the input ('name' its title) was
    refused "has no title" with --columns title=name given; it is now read through the mapping, as generate reads it."""
    given = '{"id": "d1", "name": "Women\'s red floral cotton dress", "Vendor": "Zara"}'
    args = [*BASE, "--product", given, "--columns", "title=name,brand=Vendor", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    content = json.loads(result.stdout)["messages"][-1]["content"]
    assert content.endswith('Product to tag: {"title": "Women\'s red floral cotton dress", "brand": "Zara"}')


@pytest.mark.slow
def test_token_counts_of_a_template_that_reads_the_products_own_keys(tmp_path: Path) -> None:
    """The shared prefix was measured against a stand-in product with no attributes and no candidates: a template
    that renders this product (and in a run) stopped `--tokenizer` with "'dict object' has no attribute 'colour'"."""
    pytest.importorskip("transformers")
    from tagllm.testing import build_tokenizer

    build_tokenizer(["Tag products. Colour: red dress"] * 3).save_pretrained(tmp_path / "tok")
    head = '{% call message("system") %}Tag products.{% endcall %}{% call message("user") %}'
    (tmp_path / "colour.j2").write_text(head + "Colour: {{ product.attributes.colour }}{% endcall %}")
    (tmp_path / "first.j2").write_text(head + "Most likely: {{ candidates.category[0].label }}{% endcall %}")
    product = '{"title": "Red dress", "attributes": {"colour": "red"}}'
    args = [*BASE, "--product", product, "--tokenizer", str(tmp_path / "tok"), "--prompt"]
    colour = CliRunner().invoke(app, [*args, str(tmp_path / "colour.j2")])
    assert colour.exit_code == 0, colour.output
    assert colour.stdout.splitlines()[-1].startswith("--- 2 messages, 24 characters; prompt tokens: ")
    assert "shared static prefix: " in colour.stdout.splitlines()[-1]
    first = CliRunner().invoke(app, [*args, str(tmp_path / "first.j2")])
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[-1].endswith(
        "shared static prefix not measured: the template does not render for a product without text, candidates or "
        f"examples (prompt {tmp_path / 'first.j2'}:1: list object has no element 0)"
    )


def test_render_reads_an_eval_config_and_shows_a_gold_record_as_its_tagger_reads_it(tmp_path: Path) -> None:
    """An analyst iterating on an eval's prompt passes the eval config: each of its top-level keys was refused as 'no
    such setting' (name, gold, split, tagger, …), exit 2. Its tagger section is read, paths beside it, and a gold
    record is shown without its answers and the fields the eval hides, as the eval's tagger reads it."""
    (tmp_path / "gold.jsonl").write_text(
        json.dumps(
            {"id": "g1", "title": "Women's red floral cotton dress", "brand": "Zara", "description": "stated: Red",
             "gold_category": "apparel-dresses", "split": "test"}
        ) + "\n"
    )  # fmt: skip
    (tmp_path / "eval.yaml").write_text(
        "name: demo\ngold: gold.jsonl\nsplit: test\nhide_fields: [description]\n"
        f"tagger:\n  taxonomy: demo\n  examples: {DATA / 'demo_examples.jsonl'}\n  label_field: labels\n"
        "  backend: openai\n  model: served\n  k: 3\n  max_candidates: 4\n"
    )
    args = ["prompt", "render", "--config", str(tmp_path / "eval.yaml"), "--input", str(tmp_path / "gold.jsonl")]
    result = CliRunner().invoke(app, [*args, "--k", "2"])
    assert result.exit_code == 0, result.output
    product = 'Product to tag: {"title": "Women\'s red floral cotton dress", "brand": "Zara"}'
    assert product in result.stdout.splitlines()
    assert result.stdout.count("Example ") == 2  # --k over the eval's k: 3


def test_render_of_a_product_with_a_misspelt_field_warns_as_generate_does() -> None:
    """A --product key that is no product field ('brnd') rendered a prompt without it and said nothing, so the
    analyst read the prompt as the one for a product with that brand; generate warns of such a column."""
    given = '{"title": "Women\'s red floral cotton dress", "brnd": "Zara", "shelf": "A3"}'
    result = CliRunner().invoke(app, [*BASE, "--product", given, "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: --product: key 'brnd' is not a product field (did you mean 'brand'?); kept in extra, which no "
        "template shows",
        "warning: --product: key 'shelf' is not a product field; kept in extra, which no template shows",
    ]
    content = json.loads(result.stdout)["messages"][-1]["content"]
    assert content.endswith('Product to tag: {"title": "Women\'s red floral cotton dress"}')

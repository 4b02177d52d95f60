"""Setup files that cannot be read (not UTF-8, cut off, another program's) are setup errors naming the file, said
before any product: each of these was a traceback and 'tagllm crashed' (exit 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.config import load_config
from tagllm.errors import ConfigError, IndexMismatchError, InputError
from tagllm.evaluation.compare import load_run
from tagllm.retrieval.index import ExampleIndex


def test_a_config_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    config = tmp_path / "tagllm.yaml"
    config.write_bytes(b"taxonomy: demo\nexamples: caf\xe9.jsonl\n")
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert str(error.value) == f"{config}: not UTF-8 (byte 28); re-save it as UTF-8"
    result = CliRunner().invoke(app, ["eval", "run", str(config)])  # an eval config is read the same way
    assert isinstance(result.exception, ConfigError) and "not UTF-8 (byte 28)" in str(result.exception)


def test_an_index_whose_manifest_is_cut_off_says_to_rebuild_it_and_can_be(tmp_path: Path, demo_index_dir: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    for part in demo_index_dir.iterdir():
        (index / part.name).write_bytes(part.read_bytes())
    (index / "manifest.json").write_text('{"format": 5, "embe')  # a build cut off while writing it
    with pytest.raises(IndexMismatchError) as error:
        ExampleIndex.load(index)
    assert str(error.value).startswith(f"{index}: its manifest.json cannot be read (")
    assert str(error.value).endswith(f"); rebuild it: tagllm index build EXAMPLES --index {index}")
    examples = Path(__file__).parent / "data" / "demo_examples.jsonl"
    args = ["index", "build", str(examples), "-t", "demo", "--label-field", "labels", "-i", str(index)]
    for cut in ("manifest.json", "scorer.json", "examples.jsonl"):  # and one cut off before it wrote them
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        ExampleIndex.load(index)
        (index / cut).unlink()


def test_an_index_whose_examples_are_cut_off_names_the_line_and_field(tmp_path: Path, demo_index_dir: Path) -> None:
    """It said "the index is damaged (1 validation error for LabelledProduct)": no file, line, or what was wrong."""
    index = tmp_path / "index"
    index.mkdir()
    for part in demo_index_dir.iterdir():
        (index / part.name).write_bytes(part.read_bytes())
    lines = (index / "examples.jsonl").read_text().splitlines()
    (index / "examples.jsonl").write_text("\n".join([lines[0], '{"id": "e2"}', *lines[2:]]) + "\n")
    with pytest.raises(IndexMismatchError) as error:
        ExampleIndex.load(index)
    # pydantic's wording ("title: Input should be a valid string") did not say the title was missing
    assert str(error.value) == (
        f"{index}: the index is damaged (examples.jsonl:2: example 'e2' has no title); rebuild it: "
        f"tagllm index build EXAMPLES --index {index}"
    )
    (index / "examples.jsonl").write_text(
        lines[0] + "\n" + '{"id": "e9", "title": "Tee", "labels": {"category": 3}}' + "\n"
    )
    with pytest.raises(IndexMismatchError) as error:
        ExampleIndex.load(index)
    said = "(examples.jsonl:2: example 'e9': field 'labels.category' is not a list (got 3))"
    assert said in str(error.value)
    (index / "examples.jsonl").write_text(lines[0] + "\n" + '{"id": 7}' + "\n")
    with pytest.raises(IndexMismatchError) as error:
        ExampleIndex.load(index)
    # an id written as a number (read as the id it is) was "an example with no id"
    assert "(examples.jsonl:2: example 7 has no title)" in str(error.value)
    (index / "examples.jsonl").write_text(lines[0] + "\n" + '{"title": "Tee"}' + "\n")
    with pytest.raises(IndexMismatchError, match=r"\(examples.jsonl:2: the example has no id\)"):
        ExampleIndex.load(index)
    (index / "examples.jsonl").write_text(lines[0] + "\n" + lines[1][:20] + "\n")
    with pytest.raises(IndexMismatchError) as error:
        ExampleIndex.load(index)
    assert "(examples.jsonl:2: the line is not a whole JSON object (cut off, or edited by hand))" in str(error.value)


def test_an_index_whose_scorer_is_cut_off_is_refitted_and_tags_as_the_whole_one(
    tmp_path: Path, demo_index_dir: Path
) -> None:
    """scorer.json is written after the manifest: a build killed while writing it (or a disk fault) left an index
    that loaded, and every run over it crashed with a JSONDecodeError traceback (exit 3)."""
    index = tmp_path / "index"
    index.mkdir()
    for part in demo_index_dir.iterdir():
        (index / part.name).write_bytes(part.read_bytes())
    scorer = (index / "scorer.json").read_text()
    (index / "scorer.json").write_text(scorer[: len(scorer) // 2])
    products = Path(__file__).parent / "data" / "products.jsonl"
    outputs = []
    for where in (demo_index_dir, index):
        out = tmp_path / f"{where.name}.csv"
        args = ["generate", str(products), "-o", str(out), "-t", "demo", "--index", str(where)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]


def test_a_run_directory_whose_files_are_broken_is_named(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text("{")
    (run / "per_product.jsonl").write_bytes(b"")
    with pytest.raises(InputError) as error:
        load_run(run)
    assert str(error.value).startswith(f"{run}: its metrics.json or per_product.jsonl cannot be read (")


def test_an_index_missing_a_file_is_damaged_and_a_damaged_cached_one_is_built_again(
    tmp_path: Path, demo_index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    index.mkdir()
    for part in demo_index_dir.iterdir():
        (index / part.name).write_bytes(part.read_bytes())
    (index / "vectors.npy").unlink()
    with pytest.raises(IndexMismatchError) as error:
        ExampleIndex.load(index)
    assert str(error.value).startswith(f"{index}: the index is damaged ([Errno 2] No such file or directory")
    # the index tagllm builds from --examples into its cache: a damaged copy there is the cache's to rebuild
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path / "cache"))
    from tagllm.assembly import open_index
    from tagllm.config import TaggerConfig
    from tagllm.retrieval.embedder import Embedder
    from tagllm.taxonomy import load_taxonomy

    examples = Path(__file__).parent / "data" / "demo_examples.jsonl"
    config, taxonomy = TaggerConfig(taxonomy="demo", examples=str(examples)), load_taxonomy("demo")
    embedder = Embedder()
    cached = open_index(config, taxonomy, embedder)
    assert cached is not None and cached.path is not None
    (cached.path / "index.faiss").write_bytes(b"cut off")
    again = open_index(config, taxonomy, embedder)
    assert again is not None and len(again) == len(cached) and ExampleIndex.load(cached.path) is not None


def test_a_cache_directory_that_is_a_file_is_a_setup_error_before_any_product(
    tmp_path: Path, demo_index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # was a FileExistsError traceback and 'tagllm crashed' (exit 3), after a warning that ONNX export failed
    cache = tmp_path / "cache"
    cache.write_text("notes\n")
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(cache))
    monkeypatch.chdir(tmp_path)  # no project config file
    products = Path(__file__).parent / "data" / "products.jsonl"
    out = tmp_path / "tags.jsonl"
    result = CliRunner().invoke(app, ["generate", str(products), "-o", str(out), "--index", str(demo_index_dir)])
    assert isinstance(result.exception, ConfigError), result.output
    assert str(result.exception) == (
        f"TAGLLM_CACHE_DIR {cache} is a file, not a directory; set TAGLLM_CACHE_DIR to a directory tagllm can write"
    )
    assert not out.exists() and cache.read_text() == "notes\n"


def test_examples_that_are_a_directory_are_a_setup_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # was an IsADirectoryError traceback and 'tagllm crashed' (exit 3): read whole for the cache's key
    monkeypatch.chdir(tmp_path)  # no project config file
    products = Path(__file__).parent / "data" / "products.jsonl"
    out = tmp_path / "tags.jsonl"
    args = ["generate", str(products), "-o", str(out), "-t", "demo", "--examples", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError), result.output
    assert str(result.exception) == f"examples {tmp_path} is a directory; name the file of labelled products in it"
    assert not out.exists()


def test_an_index_that_is_a_file_or_another_directory_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # both were "index … does not exist; build it", although the path exists: often the examples file as --index
    monkeypatch.chdir(tmp_path)  # no project config file
    products = Path(__file__).parent / "data" / "products.jsonl"
    out = tmp_path / "tags.jsonl"
    examples = tmp_path / "examples.jsonl"
    examples.write_text('{"id": "1", "title": "Red dress", "labels": ["dress"]}\n')
    result = CliRunner().invoke(
        app, ["generate", str(products), "-o", str(out), "-t", "demo", "--index", str(examples)]
    )
    assert isinstance(result.exception, ConfigError), result.output
    assert str(result.exception) == (
        f"index {examples} is a file, not an index directory; pass the directory tagllm index build wrote, "
        "or the file of labelled products as --examples"
    )
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("tag the catalogue\n")
    result = CliRunner().invoke(app, ["generate", str(products), "-o", str(out), "-t", "demo", "--index", str(other)])
    assert isinstance(result.exception, IndexMismatchError), result.output
    assert str(result.exception).startswith(f"{other}: not an example index (no manifest.json)")
    assert not out.exists()

"""The CLI as a user runs it: generate on files and stdin, error records and exit codes, resume, index commands."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tagllm.cli import app
from tagllm.errors import ConfigError, InputError

DATA = Path(__file__).parent / "data"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _outside_the_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repo's own tagllm.yaml must not configure these runs."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture()
def config(tmp_path: Path, demo_index_dir: Path) -> Path:
    path = tmp_path / "tagllm.yaml"
    path.write_text(f"taxonomy: demo\nindex: {demo_index_dir}\nk: 5\n")
    return path


def test_generate_jsonl_to_csv(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "tags.csv"
    result = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["product_id"] for r in rows] == ["p1", "p2", "p3"]
    assert [r["category_id"] for r in rows] == ["apparel-tshirts", "apparel-dresses", "electronics-headphones"]
    assert rows[1]["category"] == "Apparel > Dresses"
    assert "3 tagged, 0 failed" in result.stderr


KEPT_CLASH = (
    "a {kind} output has columns of its own by that name; keep other columns, or write JSONL, which keeps the "
    "input's columns apart, under its input key"
)
FACET_CLASH = (
    "facet 'status': a CSV output has a column of that name already (one of its own, or another facet's id or "
    "confidence column), which the facet's tags would overwrite; write JSONL, which keeps each facet's tags apart, "
    "under its tags key, or rename the facet in the taxonomy"
)


@pytest.mark.parametrize(
    ("out", "options", "refusal"),
    [
        ("tags.csv", ["--keep-columns", "title,status"], "--keep-columns status: " + KEPT_CLASH.format(kind="CSV")),
        ("tags.parquet", ["-f", "color", "--keep-columns", "sku,color_id"], "--keep-columns color_id: "
         + KEPT_CLASH.format(kind="Parquet")),
        ("tags.csv", ["-t", "own.yaml", "-f", "category", "-f", "status"], FACET_CLASH),
    ],
)  # fmt: skip
def test_a_facet_or_kept_column_an_output_row_has_already_is_refused_before_the_tagger_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, options: list[str], refusal: str
) -> None:
    # refused by the writer, after Tagger.from_config had built the index from the examples (67 s for the 30 demo ones
    # on a first run, minutes for a catalogue's): the README says before any model loads
    from tagllm.tagger import Tagger

    def built(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the tagger was built (models loaded, the index built) before the refusal")

    monkeypatch.setattr(Tagger, "from_config", classmethod(built))
    config = tmp_path / "tagllm.yaml"
    config.write_text(f"taxonomy: demo\nexamples: {DATA / 'demo_examples.jsonl'}\n")
    (tmp_path / "own.yaml").write_text(
        "name: own\nfacets:\n  - name: category\n    values: [{id: c-shirt, name: Shirts}]\n"
        "  - name: status\n    values: [{id: s-new, name: New}, {id: s-used, name: Used}]\n"
    )
    args = ["generate", str(DATA / "products.jsonl"), "-o", str(tmp_path / out), "-c", str(config), *options]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, InputError), result.output  # main() prints it and exits 2
    assert str(result.exception) == refusal
    assert not (tmp_path / out).exists()


def test_a_csv_output_with_cells_a_spreadsheet_runs_as_formulas_says_so_and_writes_them_as_they_are(
    tmp_path: Path, config: Path
) -> None:
    # a title '=HYPERLINK(…)' kept with --keep-columns went into the CSV a catalogue team opens in Excel, no word
    products, out = tmp_path / "p.jsonl", tmp_path / "tags.csv"
    rows = [
        {"id": "p1", "title": "Red cotton t-shirt", "brand": "-12.5"},
        {"id": "p2", "title": '=HYPERLINK("http://example.com","Blue dress")', "brand": "@SUM(1+1)"},
        {"id": "p3", "title": "Wireless headphones", "brand": "+44 Acme"},
    ]
    products.write_text("".join(json.dumps(row) + "\n" for row in rows))
    args = ["generate", str(products), "-o", str(out), "-c", str(config), "--keep-columns", "title,brand"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert [(r["title"], r["brand"]) for r in csv.DictReader(out.open())] == [(r["title"], r["brand"]) for r in rows]
    assert result.stderr.splitlines()[-1] == (
        f"warning: {out}: cells that Excel and other spreadsheets run as formulas when they open a CSV (beginning "
        "with =, +, -, @ or a tab) are in column(s) 'title' (first: product 'p2'), 'brand' (first: product 'p2'); "
        "written as they are: import the file with those columns as text, or write JSONL or Parquet"
    )
    jsonl = runner.invoke(app, [*args[:3], str(tmp_path / "tags.jsonl"), *args[4:]])
    assert jsonl.exit_code == 0 and "formulas" not in jsonl.stderr  # JSONL is no spreadsheet's


def test_the_summarys_start_up_counts_building_the_tagger(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run builds the example index from --examples before tag_file starts (25 s for the shipped 3,000): the
    summary said 'after 0.2s start-up' for a 28-second command. Here building the tagger takes 30 s on a fake
    clock."""
    import types

    from tagllm.cli import generate as generate_cli
    from tagllm.tagger import Tagger

    clock = [100.0]
    monkeypatch.setattr(generate_cli, "time", types.SimpleNamespace(perf_counter=lambda: clock[0]))
    built = Tagger.from_config.__func__  # type: ignore[attr-defined]

    def slow(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        clock[0] += 30.0
        return built(cls, *args, **kwargs)

    monkeypatch.setattr(Tagger, "from_config", classmethod(slow))
    out = tmp_path / "tags.jsonl"
    result = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert re.search(r"3 tagged, 0 failed in \d+\.\ds \(.* products/s, after 30\.\ds start-up\)", result.stderr)


def test_bad_records_are_error_records_and_exit_1(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        b'{"id": "a", "title": "Blue denim jeans"}\n'
        b'{"id": "b", "title": \n'
        b'{"id": "c"}\n'
        b'{"id": "d", "title": "caf\xff mug"}\n'  # a stray byte: a file in Windows-1252 is refused whole
        b'{"id": "e", "title": "Gold necklace"}\n'
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["product_id"], r["status"]) for r in lines] == [
        ("a", "ok"), ("b", "error"), ("c", "error"), ("d", "error"), ("e", "ok"),
    ]  # fmt: skip
    assert lines[1]["error"]["message"] == f"{src}:2: record 'b': not valid JSON (Expecting value at column 22)"
    assert lines[2]["error"]["message"] == f"{src}:3: record 'c' has no title; every product needs a non-empty title"
    assert (
        lines[3]["error"]["message"] == f"{src}:4: record 'd': not UTF-8 (byte 25 is 0xff); re-save the file as UTF-8"
    )
    assert "2 tagged, 3 failed" in result.stderr


def test_an_output_naming_a_file_that_is_no_output_stops_before_any_model_loads(tmp_path: Path, config: Path) -> None:
    from tagllm.errors import OutputError

    src, out = tmp_path / "products.jsonl", tmp_path / "products.csv"  # the catalogue's CSV copy beside its JSONL
    src.write_text('{"id": "a", "title": "Blue denim jeans"}\n')
    out.write_text("id,title\na,Blue denim jeans\n")
    result = runner.invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config), "-t", "no-such-taxonomy"])
    assert isinstance(result.exception, OutputError), result.output  # main() prints it and exits 2
    assert str(result.exception) == (
        f"{out}: the file there is not an output of tagllm generate (its first line: 'id,title'), and this run would "
        "replace it (CSV results): give another output file, or remove it first"
    )
    assert out.read_text() == "id,title\na,Blue denim jeans\n"


def test_a_csv_saved_in_windows_1252_stops_before_the_first_product(tmp_path: Path, config: Path) -> None:
    # Excel's "CSV (Comma delimited)" on Western Windows: each row with an accent was an error record, the rest tagged,
    # exit 1 with "run again with --resume", which retried the same rows to the same errors
    src = tmp_path / "in.csv"
    src.write_bytes("id,title\na,Blue denim jeans\nb,Gold necklace – Hermès\nc,Wool scarf\n".encode("cp1252"))
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config)])
    assert isinstance(result.exception, InputError), result.output  # main() prints it and exits 2
    assert not out.exists()
    assert str(result.exception) == (
        f"{src}:3: the file is not UTF-8: it reads as Windows-1252 ('Hermès'), as Excel saves \"CSV (Comma "
        'delimited)" on Western Windows; re-save it as "CSV UTF-8", or convert it, e.g. iconv -f WINDOWS-1252 -t UTF-8 '
        f"{src} > {tmp_path / 'in-utf8.csv'}"
    )


def test_resume_skips_done_products_and_repairs_a_cut_line(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "out.jsonl"
    first = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config)])
    assert first.exit_code == 0
    lines = out.read_text().splitlines(keepends=True)
    out.write_text(lines[0] + lines[1][:40])  # as if the run crashed while writing the second result
    again = runner.invoke(
        app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config), "--resume"]
    )
    assert again.exit_code == 0
    ids = [json.loads(line)["product_id"] for line in out.read_text().splitlines()]
    assert ids == ["p1", "p2", "p3"]
    assert "2 tagged, 0 failed, 1 already done" in again.stderr


def test_stdin_to_stdout(config: Path) -> None:
    result = runner.invoke(
        app,
        ["generate", "-", "-c", str(config), "-q"],
        input='{"id": "s", "title": "Stainless steel pressure cooker"}\n',
    )
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["tags"]["category"][0]["id"] == "home-cookware"


def test_failures_on_stdout_are_not_advised_a_resume_stdout_cannot_have(config: Path) -> None:
    # the summary said "-: 1 product(s) failed (error records); fix the cause and run again with --resume", a run
    # that is refused ("--resume needs an output file")
    result = runner.invoke(
        app, ["generate", "-", "-c", str(config)], input='{"id": "s", "title": "Steel pot"}\n{"id": "t"}\n'
    )
    assert result.exit_code == 1
    assert "run again with --resume" not in result.stderr
    assert (
        "stdout: 1 product(s) failed (error records); fix the cause and tag those products again; results on stdout "
        "cannot be resumed (written to a file, -o FILE, --resume would retry only them)\n"
    ) in result.stderr


def test_unknown_column_is_named_with_a_suggestion(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,titel,title\n1,x,Red cotton t-shirt\n")
    result = runner.invoke(app, ["generate", str(src), "-o", str(tmp_path / "o.jsonl"), "-c", str(config)])
    assert result.exit_code == 0
    assert (
        "warning: " + str(src) + ": column 'titel' is not a product field (did you mean 'title'? or map it: "
        "--columns title=titel); kept in extra" in result.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "missing.jsonl"], "error: missing.jsonl: no such file"),
        (["generate", "EMPTY", "--taxonomy", "demo"], "error: EMPTY: the file is empty: no products to read"),
        (["taxonomy", "stats", "--taxonomy", "nosuch"], "error: unknown taxonomy 'nosuch'"),
    ],
)
def test_errors_name_the_file_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    args = [str(empty) if a == "EMPTY" else a for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "tagllm", *args], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(message.replace("EMPTY", str(empty)))


def test_index_built_for_another_taxonomy_is_refused(tmp_path: Path, demo_index_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tagllm", "generate", str(DATA / "products.jsonl"), "--taxonomy", "shopify",
         "--index", str(demo_index_dir)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "built for taxonomy 'demo' version" in proc.stderr and "rebuild the index" in proc.stderr


def test_index_build_add_info(tmp_path: Path) -> None:
    examples = DATA / "demo_examples.jsonl"
    first = tmp_path / "first.jsonl"
    lines = examples.read_text().splitlines()
    first.write_text("\n".join(lines[:20]) + "\n")
    rest = tmp_path / "rest.jsonl"
    rest.write_text("\n".join(lines[20:]) + '\n{"id": "bad", "title": "x", "labels": {"category": ["nope"]}}\n')
    index = tmp_path / "idx"
    built = runner.invoke(app, ["index", "build", str(first), "-i", str(index), "-t", "demo", "-q"])
    assert built.exit_code == 0, built.output
    assert built.stdout.startswith(f"{index}: 20 examples (flat search), facets audience, category, color, material")
    added = runner.invoke(app, ["index", "add", str(rest), "-i", str(index), "-t", "demo"])
    assert added.exit_code == 1
    assert f"{index}: added 10, replaced 0, 0 unchanged, now 30 examples, 1 record(s) skipped" in added.stdout
    said = f"skipped: {rest}:11: record 'bad' field 'labels': category label 'nope' is not a value of taxonomy 'demo'"
    assert said in added.stderr
    info = json.loads(runner.invoke(app, ["index", "info", str(index)]).stdout)
    from tagllm.retrieval.embedder import Embedder

    assert info["count"] == 30 and info["embedder"] == Embedder().name and info["dim"] == 384


def test_index_build_and_add_take_the_input_format_their_error_asks_for(tmp_path: Path) -> None:
    """Examples in a file whose name does not say its format: the error asks for --input-format, which both commands
    take (they answered 'No such option: --input-format')."""
    lines = (DATA / "demo_examples.jsonl").read_text().splitlines()
    first, rest = tmp_path / "first.txt", tmp_path / "rest.txt"
    first.write_text("\n".join(lines[:20]) + "\n")
    rest.write_text("\n".join(lines[20:]) + "\n")
    index = tmp_path / "idx"
    refused = runner.invoke(app, ["index", "build", str(first), "-i", str(index), "-t", "demo", "-q"])
    assert refused.exit_code != 0 and "--input-format" in str(refused.exception or refused.output)
    args = ["-i", str(index), "-t", "demo", "--input-format", "jsonl"]
    built = runner.invoke(app, ["index", "build", str(first), *args, "-q"])
    assert built.exit_code == 0, built.output
    added = runner.invoke(app, ["index", "add", str(rest), *args])
    assert added.exit_code == 0, added.output
    assert f"{index}: added 10, replaced 0, 0 unchanged, now 30 examples" in added.stdout


def _reviews(path: Path, prefix: str) -> Path:
    labels = {"category": ["apparel-dresses"]}
    rows = [{"id": f"{prefix}-{i}", "title": f"Summer dress {prefix} {i}", "labels": labels} for i in range(5)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_two_index_adds_at_once_each_add_their_examples(
    tmp_path: Path, demo_index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two reviewers' `index add` on one index at once: each loaded the 30 examples, added its 5 and saved; the
    # index ended with 35, the first's 5 lost, while both said "added 5, now 35" and exited 0
    from tagllm.retrieval.index import ExampleIndex

    index = tmp_path / "idx"
    shutil.copytree(demo_index_dir, index)
    reviews = _reviews(tmp_path / "b.jsonl", "b")
    command = [sys.executable, "-m", "tagllm", "index", "add", str(reviews), "-i", str(index)]
    err = tmp_path / "other.err"
    started: list[subprocess.Popen[str]] = []
    add = ExampleIndex.add

    def add_while_another_runs(self: ExampleIndex, *args: Any, **kwargs: Any) -> Any:
        """The other add starts once this one has loaded the index, and ends, or waits for this one, before it saves."""
        with err.open("w") as stderr:
            started.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=tmp_path))
        deadline = time.monotonic() + 120
        while started[0].poll() is None and "waiting" not in err.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        return add(self, *args, **kwargs)

    monkeypatch.setattr(ExampleIndex, "add", add_while_another_runs)
    first = runner.invoke(app, ["index", "add", str(_reviews(tmp_path / "a.jsonl", "a")), "-i", str(index)])
    out, _ = started[0].communicate(timeout=120)
    assert first.exit_code == 0 and started[0].returncode == 0, first.output + err.read_text()
    assert f"{index}: added 5, replaced 0, 0 unchanged, now 35 examples" in first.stdout
    assert f"{index}: another tagllm run is writing this index; waiting for it to end" in err.read_text()
    assert f"{index}: added 5, replaced 0, 0 unchanged, now 40 examples" in out
    ids = {e.id for e in ExampleIndex.load(index).examples}
    assert {f"{p}-{i}" for p in "ab" for i in range(5)} <= ids and len(ids) == 40


@pytest.mark.parametrize("manifest", [b'{"format": 3, "embed', b'{"format": 3, "\xff"}', None])
def test_index_info_names_a_manifest_it_cannot_read(tmp_path: Path, manifest: bytes | None) -> None:
    # cut off by a build interrupted while writing it, not UTF-8, or a directory: the command to look at an index
    # that will not load crashed on the same file (JSONDecodeError, UnicodeDecodeError, IsADirectoryError, exit 3)
    index = tmp_path / "idx"
    index.mkdir()
    if manifest is None:
        (index / "manifest.json").mkdir()
    else:
        (index / "manifest.json").write_bytes(manifest)
    result = runner.invoke(app, ["index", "info", str(index)])
    assert isinstance(result.exception, InputError)  # main() prints it and exits 2
    assert str(result.exception).startswith(f"{index}: its manifest.json cannot be read (")
    assert str(result.exception).endswith(f"); rebuild it: tagllm index build EXAMPLES --index {index}")


def test_index_build_shows_the_fit_stage_with_its_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_a_terminal: Callable[[str], None]
) -> None:

    on_a_terminal("tagllm.cli.index")
    built = runner.invoke(
        app, ["index", "build", str(DATA / "demo_examples.jsonl"), "-i", str(tmp_path / "i"), "-t", "demo"]
    )
    assert built.exit_code == 0, built.output
    lines = built.stderr.split("\n")
    fit = next(line for line in lines if "fitting the candidate scorer" in line)
    last = fit.split("\r")[-1].split()[4]  # "fitting the candidate scorer DONE/TOTAL ..."
    done, total = last.split("/")
    assert done == total and int(total) > 4  # batches of examples, then the demo's four facets


def test_index_build_shows_its_stages_before_the_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_a_terminal: Callable[[str], None]
) -> None:
    """`index build` loaded the taxonomy (4 s for --taxonomy shopify), read the examples, loaded the embedder and
    embedded them (fewer than 512: no counts) before its progress showed anything: on a terminal its first line was
    'fitting the candidate scorer'."""

    on_a_terminal("tagllm.cli.index")
    built = runner.invoke(
        app, ["index", "build", str(DATA / "demo_examples.jsonl"), "-i", str(tmp_path / "i"), "-t", "demo"]
    )
    assert built.exit_code == 0, built.output
    shown = [line.split("\r")[-1] for line in built.stderr.split("\n")]
    assert shown[:3] == ["loading the taxonomy", "reading the examples", "embedding examples"]
    assert shown[3].startswith("fitting the candidate scorer") and shown[4:] == [""]


def test_index_add_shows_its_stages_before_the_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_a_terminal: Callable[[str], None]
) -> None:
    """`index add` of 1,500 reviewed Flipkart examples to an index of 100 (stderr a terminal) printed nothing for
    28.7 s, reading the taxonomy and the index and embedding the examples, then 'fitting the candidate scorer'."""

    lines = (DATA / "demo_examples.jsonl").read_text().splitlines()
    first, rest, index = tmp_path / "first.jsonl", tmp_path / "rest.jsonl", tmp_path / "idx"
    first.write_text("\n".join(lines[:20]) + "\n")
    rest.write_text("\n".join(lines[20:]) + "\n")
    assert runner.invoke(app, ["index", "build", str(first), "-i", str(index), "-t", "demo", "-q"]).exit_code == 0
    on_a_terminal("tagllm.cli.index")
    added = runner.invoke(app, ["index", "add", str(rest), "-i", str(index)])
    assert added.exit_code == 0, added.output
    shown = [line.split("\r")[-1] for line in added.stderr.split("\n")]
    assert shown[:4] == [
        "loading the taxonomy", "loading the example index", "reading the examples", "embedding examples",
    ]  # fmt: skip
    assert shown[4].startswith("fitting the candidate scorer") and shown[5:] == [""]


# -- issue 14: what a user sees ---------------------------------------------------------------------------------------
def _examples(path: Path, good: int, bad: int) -> Path:
    lines = (DATA / "demo_examples.jsonl").read_text().splitlines()[:good]
    lines += [
        json.dumps({"id": f"other-{i}", "title": f"Item {i}", "labels": {"category": ["Electronics > Phones"]}})
        for i in range(bad)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_generate_stops_when_most_examples_are_unusable(tmp_path: Path) -> None:
    examples = _examples(tmp_path / "ex.jsonl", good=5, bad=25)
    result = runner.invoke(
        app, ["generate", str(DATA / "products.jsonl"), "-o", str(tmp_path / "o.jsonl"), "-t", "demo",
              "--examples", str(examples)],
    )  # fmt: skip
    assert isinstance(result.exception, InputError)  # main() prints it and exits 2
    assert str(result.exception).startswith(
        f"{examples}: 25 of 30 examples are unusable, too many to build an index from the rest (first: {examples}:6: "
        "record 'other-0' field 'labels': category label 'Electronics > Phones' is not a value of taxonomy 'demo'); "
        "check --taxonomy and --label-field "
        "(they are 'demo' and 'labels'); or tag with no examples: --examples ''"
    )
    assert not (tmp_path / "o.jsonl").exists()


def test_index_build_stops_as_generate_does_when_most_examples_are_unusable(tmp_path: Path) -> None:
    # it built an index of the 5 that fit and exited 1, where generate refused the same file before building
    examples, index = _examples(tmp_path / "ex.jsonl", good=5, bad=25), tmp_path / "idx"
    result = runner.invoke(app, ["index", "build", str(examples), "-i", str(index), "-t", "demo", "-q"])
    assert isinstance(result.exception, InputError)  # main() prints it and exits 2
    assert str(result.exception) == (
        f"{examples}: 25 of 30 examples are unusable, too many to build an index from the rest (first: {examples}:6: "
        "record 'other-0' field 'labels': category label 'Electronics > Phones' is not a value of taxonomy 'demo'); "
        "check --taxonomy and --label-field (they are 'demo' and 'labels')"
    )
    assert not index.exists()


def test_generate_says_how_many_examples_it_skipped(tmp_path: Path) -> None:
    examples = _examples(tmp_path / "ex.jsonl", good=28, bad=2)
    result = runner.invoke(
        app, ["generate", str(DATA / "products.jsonl"), "-o", str(tmp_path / "o.jsonl"), "-t", "demo",
              "--examples", str(examples)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"warning: {examples}: 2 record(s) skipped building the example index" in result.stderr
    assert (
        f"warning: example skipped: {examples}:29: record 'other-0' field 'labels': category label 'Electronics > "
        "Phones' is not a value of taxonomy 'demo'"
    ) in result.stderr


def test_index_build_and_add_count_the_skipped_records_past_the_twenty_listed(tmp_path: Path) -> None:
    # 22 records skipped: 20 were listed, the other 2 named nowhere and not said to exist
    examples, index = _examples(tmp_path / "ex.jsonl", good=30, bad=22), tmp_path / "idx"
    for args in (["build", "-t", "demo"], ["add"]):
        result = runner.invoke(app, ["index", args[0], str(examples), "-i", str(index), *args[1:]])
        assert result.exit_code == 1, result.output
        skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped: ")]
        assert len(skipped) == 21
        assert (
            skipped[19]
            == f"skipped: {examples}:50: record 'other-19' field 'labels': category label 'Electronics > Phones' is "
            "not a value of taxonomy 'demo'"
        )
        assert skipped[20] == "skipped: … and 2 more (not listed: fix these and run again)"
        assert result.stdout.endswith("22 record(s) skipped\n")


def test_index_add_replaces_an_example_by_id_and_adding_twice_changes_nothing(tmp_path: Path) -> None:
    index = tmp_path / "idx"
    built = runner.invoke(app, ["index", "build", str(DATA / "demo_examples.jsonl"), "-i", str(index), "-t", "demo"])
    assert built.exit_code == 0, built.output
    review = tmp_path / "review.jsonl"
    review.write_text(
        json.dumps({"id": "ex-01", "title": "Men's Slim Fit Crew Neck Cotton T-Shirt, Navy Blue",
                    "labels": {"category": ["apparel-shirts"]}}) + "\n"
        + json.dumps({"id": "new-1", "title": "Linen summer shirt", "labels": {"category": ["apparel-shirts"]}}) + "\n"
    )  # fmt: skip
    first = runner.invoke(app, ["index", "add", str(review), "-i", str(index)])
    assert first.stdout.endswith(f"{index}: added 1, replaced 1, 0 unchanged, now 31 examples, 0 record(s) skipped\n")
    second = runner.invoke(app, ["index", "add", str(review), "-i", str(index)])
    assert second.stdout == f"{index}: added 0, replaced 0, 2 unchanged, now 31 examples, 0 record(s) skipped\n"
    stored = [json.loads(line) for line in (index / "examples.jsonl").read_text().splitlines()]
    assert [e["labels"]["category"] for e in stored if e["id"] == "ex-01"] == [["apparel-shirts"]]


def _add_review_to_demo_index(tmp_path: Path, records: list[dict[str, object]]) -> tuple[Path, Result, dict[str, Any]]:
    """Build an index of the demo examples, `index add` a review of ``records``: the index, the add's result (exit 0)
    and the labels the index then stores per example id."""
    index, review = tmp_path / "idx", tmp_path / "review.jsonl"
    assert runner.invoke(app, ["index", "build", str(DATA / "demo_examples.jsonl"), "-i", str(index), "-t", "demo"])
    review.write_text("".join(json.dumps(r) + "\n" for r in records))
    added = runner.invoke(app, ["index", "add", str(review), "-i", str(index)])
    assert added.exit_code == 0, added.output
    stored = {e["id"]: e["labels"] for e in map(json.loads, (index / "examples.jsonl").read_text().splitlines())}
    return index, added, stored


def test_index_add_of_a_review_without_attribute_labels_keeps_the_replaced_examples_and_says_so(
    tmp_path: Path,
) -> None:
    # a review of categories alone replaced ex-01 and ex-02 with examples of their category alone: their colour,
    # material and audience labels (6 in all) were dropped, and the summary said only 'replaced 2', exit 0
    index, added, stored = _add_review_to_demo_index(tmp_path, [
        {"id": "ex-01", "title": "Men's Slim Fit Crew Neck Cotton T-Shirt, Navy Blue",
         "labels": {"category": ["apparel-shirts"]}},
        {"id": "ex-02", "title": "Women's Printed Round Neck T-Shirt Pink Cotton",
         "labels": {"category": ["apparel-tshirts"], "color": ["color-red"]}},
    ])  # fmt: skip
    assert added.stdout == (
        "kept the attribute labels of 1 replaced example(s) whose review gives none: 'ex-01'; to change them, give "
        f"their attribute tags in the review\n{index}: added 0, replaced 2, 0 unchanged, now 30 examples, 0 record(s) "
        "skipped\n"
    )
    assert stored["ex-01"] == {
        "category": ["apparel-shirts"], "color": ["color-blue"], "material": ["material-cotton"],
        "audience": ["audience-men"],
    }  # fmt: skip
    assert stored["ex-02"] == {"category": ["apparel-tshirts"], "color": ["color-red"]}  # its review's attributes


def test_index_add_of_a_review_without_a_category_keeps_the_replaced_examples_and_says_so(tmp_path: Path) -> None:
    # a review of ex-01's colour alone replaced it with an example of that colour alone: its category (and material,
    # audience) labels dropped, an example that no longer votes for any category, summary 'replaced 1'
    index, added, stored = _add_review_to_demo_index(tmp_path, [
        {"id": "ex-01", "title": "Men's Slim Fit Crew Neck Cotton T-Shirt, Navy Blue",
         "labels": {"color": ["color-black"]}},
    ])  # fmt: skip
    assert added.stdout == (
        "kept the category labels of 1 replaced example(s) whose review gives none: 'ex-01'; to change them, give "
        f"their category in the review\n{index}: added 0, replaced 1, 0 unchanged, now 30 examples, 0 record(s) "
        "skipped\n"
    )
    assert stored["ex-01"] == {"color": ["color-black"], "category": ["apparel-tshirts"]}


def test_index_add_reads_the_attribute_tags_from_the_field_the_index_was_built_with(tmp_path: Path) -> None:
    """The manifest kept the label field and not the attribute field: the very file the index was built from, added
    again without --attribute-field, replaced every example with one of its category alone (fashion: 400 of 400
    replaced, their colour labels 400 -> 0, exit 0)."""
    rows = [json.loads(line) for line in (DATA / "demo_examples.jsonl").read_text().splitlines() if line.strip()]
    for row in rows:  # the colour moves from the labels to "Key: Value" tags
        colour = row["labels"].pop("color", None)
        row["specs"] = [f"Color: {c.removeprefix('color-')}" for c in colour or []]
    examples, index = tmp_path / "examples.jsonl", tmp_path / "idx"
    examples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["index", "build", str(examples), "-i", str(index), "-t", "demo", "--attribute-field", "specs", "-q"]
    assert runner.invoke(app, args).exit_code == 0
    coloured = sum("color" in json.loads(line)["labels"] for line in (index / "examples.jsonl").open())
    assert coloured > 0
    added = runner.invoke(app, ["index", "add", str(examples), "-i", str(index)])
    assert added.exit_code == 0, added.output
    assert (
        added.stdout
        == f"{index}: added 0, replaced 0, {len(rows)} unchanged, now {len(rows)} examples, 0 record(s) skipped\n"
    )
    assert sum("color" in json.loads(line)["labels"] for line in (index / "examples.jsonl").open()) == coloured


@pytest.mark.parametrize(
    ("field", "said"),
    [
        ("spec", "no record has the attribute field 'spec', so the examples would label no attribute; name the field"),
        ("specs", "the attribute tags of 30 record(s) in 'specs' name no facet value of taxonomy 'demo' (their keys: "
                  "'Fit', 'Neck'), so the examples would label no attribute; its attribute facets are"),
    ],
)  # fmt: skip
def test_index_build_refuses_examples_whose_attribute_field_labels_no_attribute(
    tmp_path: Path, field: str, said: str
) -> None:
    """A misnamed --attribute-field, or tags whose keys the taxonomy has no facet for (fashion's Gender, Colour …
    against its category tree alone: 400 of 400 records' tags dropped), built an index of categories alone, exit 0."""
    rows = [json.loads(line) for line in (DATA / "demo_examples.jsonl").read_text().splitlines() if line.strip()]
    for row in rows:
        row["labels"] = {"category": row["labels"]["category"]}
        row["specs"] = ["Fit: Slim", "Neck: Round"]
    examples, index = tmp_path / "examples.jsonl", tmp_path / "idx"
    examples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["index", "build", str(examples), "-i", str(index), "-t", "demo", "--attribute-field", field, "-q"]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, InputError)  # main() prints it and exits 2
    assert f"{examples}: {said}" in str(result.exception)
    assert not index.exists()


def test_an_index_whose_taxonomy_file_is_gone_says_so_and_how_to_name_it(tmp_path: Path) -> None:
    """The taxonomy file an index was built with, moved with its project, was looked up by the name inside it:
    index add and generate on the index said "unknown taxonomy 'fashion': not a file, and no taxonomy of that name in
    …", a name the user never gave, and not where the index's taxonomy had been."""
    repo = Path(__file__).resolve().parents[1] / "taxonomy"
    first, moved = tmp_path / "first", tmp_path / "moved"
    first.mkdir()
    (first / "shop.yaml").write_text((repo / "demo.yaml").read_text().replace("name: demo", "name: shop", 1))
    (first / "demo-synonyms.yaml").write_text((repo / "demo-synonyms.yaml").read_text())
    index = tmp_path / "idx"
    args = ["index", "build", str(DATA / "demo_examples.jsonl"), "-i", str(index), "-t", str(first / "shop.yaml")]
    assert runner.invoke(app, [*args, "-q"]).exit_code == 0
    first.rename(moved)
    result = runner.invoke(app, ["index", "add", str(DATA / "demo_examples.jsonl"), "-i", str(index)])
    assert isinstance(result.exception, ConfigError)  # main() prints it and exits 2
    assert str(result.exception) == (
        f"the index {index} was built with taxonomy 'shop' from {first / 'shop.yaml'}, which is not there any more; "
        "name the taxonomy file with --taxonomy (config: taxonomy)"
    )
    again = runner.invoke(
        app, ["index", "add", str(DATA / "demo_examples.jsonl"), "-i", str(index), "-t", str(moved / "shop.yaml")]
    )
    assert again.exit_code == 0, again.output


def test_index_add_refits_the_candidate_scorer_on_the_grown_index(tmp_path: Path) -> None:
    """index add saved the index's files and left scorer.json as the build fitted it: an index built from 20 examples
    (too few to fit a stacker: none) and grown to 30 scored candidates with the default stackers, where a build over
    the same 30 fits the category's; a facet first labelled by the added examples had none either."""
    lines = (DATA / "demo_examples.jsonl").read_text().splitlines()
    first, everything = tmp_path / "first.jsonl", tmp_path / "all.jsonl"
    first.write_text("\n".join(lines[:20]) + "\n")
    everything.write_text("\n".join(lines) + "\n")
    grown, built = tmp_path / "grown", tmp_path / "built"
    assert runner.invoke(app, ["index", "build", str(first), "-i", str(grown), "-t", "demo", "-q"]).exit_code == 0
    assert json.loads((grown / "scorer.json").read_text()) == {}
    added = runner.invoke(app, ["index", "add", str(everything), "-i", str(grown)])
    assert added.stdout == f"{grown}: added 10, replaced 0, 20 unchanged, now 30 examples, 0 record(s) skipped\n"
    assert runner.invoke(app, ["index", "build", str(everything), "-i", str(built), "-t", "demo", "-q"]).exit_code == 0
    assert "category" in json.loads((built / "scorer.json").read_text())
    assert json.loads((grown / "scorer.json").read_text()) == json.loads((built / "scorer.json").read_text())


def test_an_id_the_examples_give_twice_is_built_once_from_its_later_record_and_named(tmp_path: Path) -> None:
    """Both records were built into the index without a word; a review added later replaced one of them only, the
    other's stale labels still voting. The later record is the review, as `index add` reads a file."""
    index, examples = tmp_path / "idx", tmp_path / "examples.jsonl"
    lines = (DATA / "demo_examples.jsonl").read_text().splitlines()
    fixed = json.dumps(
        {"id": "ex-01", "title": "Men's Slim Fit Jeans, Navy Blue", "labels": {"category": ["apparel-jeans"]}}
    )
    examples.write_text("\n".join([*lines, fixed, lines[0]]) + "\n")  # ex-01 given thrice, its first record last
    built = runner.invoke(app, ["index", "build", str(examples), "-i", str(index), "-t", "demo"])
    assert built.exit_code == 1, built.output
    assert built.stderr.splitlines()[:2] == [
        f"skipped: {examples}:1: id 'ex-01' is given again on line 31, whose record is kept",
        f"skipped: {examples}:31: id 'ex-01' is given again on line 32, whose record is kept",
    ]
    assert built.stdout.startswith(f"{index}: 30 examples (flat search)")
    review = tmp_path / "review.jsonl"
    review.write_text(json.dumps({**json.loads(lines[0]), "labels": {"category": ["apparel-shirts"]}}) + "\n")
    assert runner.invoke(app, ["index", "add", str(review), "-i", str(index)]).exit_code == 0
    stored = [json.loads(line) for line in (index / "examples.jsonl").read_text().splitlines()]
    assert [e["labels"]["category"] for e in stored if e["id"] == "ex-01"] == [["apparel-shirts"]]


def test_a_product_without_an_id_given_twice_is_built_and_added_once_from_its_later_record_and_named(
    tmp_path: Path,
) -> None:
    """Examples without an id are named by their text: two records of one product were both built into the index
    under one id, their labels voting twice (a review added later replaced one of them only); `index add` kept one of
    the two and counted the other nowhere ('added 1' for 2 records, exit 0)."""
    index, examples = tmp_path / "idx", tmp_path / "examples.jsonl"
    rows = [json.loads(line) for line in (DATA / "demo_examples.jsonl").read_text().splitlines()]
    for row in rows:
        del row["id"]
    fixed = {**rows[0], "labels": {"category": ["apparel-shirts"]}}
    examples.write_text("".join(json.dumps(r) + "\n" for r in [*rows, fixed]))
    built = runner.invoke(app, ["index", "build", str(examples), "-i", str(index), "-t", "demo"])
    assert built.exit_code == 1, built.output
    assert built.stderr.splitlines()[0] == (
        f"skipped: {examples}:1: its product (no id; the same title, brand and description) is given again on line "
        "31, whose record is kept"
    )
    assert built.stdout.startswith(f"{index}: 30 examples (flat search)")
    stored = [json.loads(line) for line in (index / "examples.jsonl").read_text().splitlines()]
    assert [e["labels"] for e in stored if e["title"] == rows[0]["title"]] == [{"category": ["apparel-shirts"]}]
    review = tmp_path / "review.jsonl"
    linen = {"title": "Linen summer shirt", "labels": {"category": ["apparel-tshirts"]}}
    review.write_text(json.dumps(linen) + "\n" + json.dumps({**linen, "labels": {"category": ["apparel-shirts"]}}))
    added = runner.invoke(app, ["index", "add", str(review), "-i", str(index)])
    assert added.exit_code == 1
    assert added.stderr == (
        f"skipped: {review}:1: its product (no id; the same title, brand and description) is given again on line 2, "
        "whose record is kept\n"
    )
    assert added.stdout == f"{index}: added 1, replaced 0, 0 unchanged, now 31 examples, 1 record(s) skipped\n"
    stored = [json.loads(line) for line in (index / "examples.jsonl").read_text().splitlines()]
    assert [e["labels"] for e in stored if e["title"] == "Linen summer shirt"] == [{"category": ["apparel-shirts"]}]


def test_index_add_and_generate_take_the_taxonomy_and_label_field_from_the_index(tmp_path: Path) -> None:
    import shutil

    from tagllm.taxonomy import REPO_TAXONOMY_DIR

    shutil.copy(REPO_TAXONOMY_DIR / "demo-synonyms.yaml", tmp_path)
    (tmp_path / "shop.yaml").write_text(
        (REPO_TAXONOMY_DIR / "demo.yaml").read_text(encoding="utf-8").replace("name: demo", "name: shop", 1),
        encoding="utf-8",
    )
    gold = tmp_path / "gold.jsonl"
    rows = [json.loads(line) for line in (DATA / "demo_examples.jsonl").read_text().splitlines()]
    gold.write_text("".join(json.dumps({"id": r["id"], "title": r["title"], "cat": r["labels"]["category"][0]}) + "\n"
                            for r in rows))  # fmt: skip
    index = tmp_path / "idx"
    built = runner.invoke(app, ["index", "build", str(gold), "-i", str(index), "-t", str(tmp_path / "shop.yaml"),
                                "--label-field", "cat"])  # fmt: skip
    assert built.exit_code == 0, built.output
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"id": "m1", "title": "Wool winter sweater", "cat": "apparel-sweaters"}) + "\n")
    added = runner.invoke(app, ["index", "add", str(more), "-i", str(index)])
    assert added.stdout == f"{index}: added 1, replaced 0, 0 unchanged, now 31 examples, 0 record(s) skipped\n"
    tagged = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "--index", str(index), "-q"])
    assert tagged.exit_code == 0, tagged.output
    assert [json.loads(line)["tags"]["category"][0]["id"] for line in tagged.stdout.splitlines()] == [
        "apparel-tshirts", "apparel-dresses", "electronics-headphones",
    ]  # fmt: skip


def _shop_taxonomy(folder: Path) -> Path:
    """``folder / "shop.yaml"``: the demo taxonomy with one synonym more, so of another version."""
    import shutil

    from tagllm.taxonomy import REPO_TAXONOMY_DIR

    shutil.copy(REPO_TAXONOMY_DIR / "demo-synonyms.yaml", folder)
    shop = folder / "shop.yaml"
    demo = (REPO_TAXONOMY_DIR / "demo.yaml").read_text(encoding="utf-8")
    shop.write_text(demo.replace("synonyms: [clothing, clothes]", "synonyms: [clothing, clothes, garments]", 1))
    return shop


def test_a_project_config_naming_no_index_gives_way_to_the_taxonomy_and_label_field_of_the_index_a_flag_names(
    tmp_path: Path, demo_index_dir: Path
) -> None:
    # as the repo's tagllm.yaml does: a taxonomy and label field for its own examples. They were taken for an index
    # named by --index: generate and index add were refused for the file's taxonomy, and add given -t read its review
    # from the file's label field ("no usable labelled examples")
    import shutil

    _shop_taxonomy(tmp_path)
    (tmp_path / "tagllm.yaml").write_text("taxonomy: shop.yaml\nexamples: gold.jsonl\nlabel_field: gold_category\n")
    index, review = tmp_path / "idx", tmp_path / "review.jsonl"
    shutil.copytree(demo_index_dir, index)
    sweater = {"id": "r1", "title": "Wool winter sweater", "labels": {"category": ["apparel-sweaters"]}}
    review.write_text(json.dumps(sweater) + "\n")
    added = runner.invoke(app, ["index", "add", str(review), "-i", str(index)])
    assert added.stdout == f"{index}: added 1, replaced 0, 0 unchanged, now 31 examples, 0 record(s) skipped\n"
    tagged = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "--index", str(index), "-q"])
    assert tagged.exit_code == 0, tagged.output
    assert [json.loads(line)["tags"]["category"][0]["id"] for line in tagged.stdout.splitlines()] == [
        "apparel-tshirts", "apparel-dresses", "electronics-headphones",
    ]  # fmt: skip
    # the file that names the index sets them for it: its taxonomy is refused
    (tmp_path / "tagllm.yaml").write_text(f"taxonomy: shop.yaml\nindex: {index}\n")
    refused = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-q"])
    assert "built for taxonomy 'demo' version" in str(refused.exception)


def test_a_label_or_attribute_field_other_than_the_index_was_built_with_is_refused_before_tagging(
    tmp_path: Path,
) -> None:
    # --label-field labels on an index built from the category alone (--label-field cat) tagged the category alone,
    # exit 0, the examples' colour, material and audience labels never read
    examples, index = tmp_path / "examples.jsonl", tmp_path / "idx"
    rows = [json.loads(line) for line in (DATA / "demo_examples.jsonl").read_text().splitlines()]
    examples.write_text("".join(json.dumps({**r, "cat": r["labels"]["category"][0]}) + "\n" for r in rows))
    build = ["index", "build", str(examples), "-i", str(index), "-t", "demo", "--label-field", "cat"]
    built = runner.invoke(app, build)
    assert built.exit_code == 0, built.output
    products = str(DATA / "products.jsonl")
    refused = runner.invoke(app, ["generate", products, "--index", str(index), "--label-field", "labels", "-q"])
    assert str(refused.exception) == (
        f"label_field 'labels' does not match the index {index}: its examples' tags were read from 'cat'; build the "
        f"index again with it (tagllm index build EXAMPLES --index {index} --label-field labels), or leave the "
        "setting out to use the index's"
    )
    assert refused.stdout == ""
    refused = runner.invoke(app, ["generate", products, "--index", str(index), "--attribute-field", "attrs", "-q"])
    assert "attribute_field 'attrs' does not match the index" in str(refused.exception)
    assert "its examples' tags were read with no attribute field" in str(refused.exception)
    from tagllm import Tagger
    from tagllm.config import TaggerConfig

    with pytest.raises(ConfigError, match="label_field 'labels' does not match the index"):
        Tagger.from_config(TaggerConfig(index=str(index), label_field="labels"))
    same = runner.invoke(app, ["generate", products, "--index", str(index), "--label-field", "cat", "-q"])
    assert same.exit_code == 0, same.output


def test_a_config_naming_an_index_and_its_examples_refuses_the_index_once_the_examples_are_edited(
    tmp_path: Path,
) -> None:
    # the first run built the index from the examples; after 3 of them were relabelled (T-shirts as shirts), the
    # next run loaded the index as it was and tagged p1 a T-shirt again, exit 0, the correction never read
    examples, index = tmp_path / "examples.jsonl", tmp_path / "idx"
    examples.write_text((DATA / "demo_examples.jsonl").read_text())
    (tmp_path / "tagllm.yaml").write_text("taxonomy: demo\nexamples: examples.jsonl\nindex: idx\n")
    products = str(DATA / "products.jsonl")
    assert runner.invoke(app, ["generate", products, "-q"]).exit_code == 0  # built
    review = tmp_path / "review.jsonl"
    sweater = {"id": "r1", "title": "Wool winter sweater", "labels": {"category": ["apparel-sweaters"]}}
    review.write_text(json.dumps(sweater) + "\n")
    assert runner.invoke(app, ["index", "add", str(review), "-i", str(index)]).exit_code == 0
    again = runner.invoke(app, ["generate", products, "-q"])  # loaded: the examples are as they were
    assert again.exit_code == 0, again.output
    examples.write_text(examples.read_text().replace('"apparel-tshirts"', '"apparel-shirts"'))
    refused = runner.invoke(app, ["generate", products, "-q"])
    created = json.loads((index / "manifest.json").read_text())["created"]
    assert str(refused.exception) == (
        f"the examples {examples} were edited after the index {index} was built from them ({created}), and it holds "
        f"them as they were; build it again: tagllm index build {examples} --index {index} (and add again what "
        "tagllm index add added since), or leave examples out of the settings to use the index as it is"
    )
    assert refused.stdout == ""


def test_index_build_from_examples_that_are_not_there_says_so_not_a_crash(tmp_path: Path) -> None:
    # the examples' fingerprint for the manifest (89b5057) was read before the examples: a missing file was
    # "tagllm crashed (a bug …)", exit 3, with a FileNotFoundError traceback
    from tagllm.errors import InputError

    missing = tmp_path / "nothere.jsonl"
    result = runner.invoke(app, ["index", "build", str(missing), "--index", str(tmp_path / "idx"), "-t", "demo"])
    assert isinstance(result.exception, InputError), result.exception  # the CLI's handler: exit 2, its message
    assert str(result.exception) == f"{missing}: no such file"
    assert not (tmp_path / "idx" / "manifest.json").exists()


def test_generate_names_the_examples_photos_the_index_it_builds_could_not_use(tmp_path: Path) -> None:
    # index build names each one ("photo not used"); generate, building the same index from --examples, said nothing
    # of the 2 photos it could not find, and every run after loaded the index without them
    examples, index = tmp_path / "examples.jsonl", tmp_path / "idx"
    rows = [json.loads(line) for line in (DATA / "demo_examples.jsonl").read_text().splitlines()]
    rows[0]["images"], rows[1]["images"] = ["photos/ex-01.jpg"], ["photos/ex-02.jpg"]
    examples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["generate", str(DATA / "products.jsonl"), "--examples", str(examples), "--index", str(index), "-t", "demo"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if "photo" in line]
    not_used = "warning: example photo not used: example"
    assert said == [
        f"{not_used} 'ex-01': photos/ex-01.jpg: no such file ({tmp_path}/photos/ex-01.jpg)",
        f"{not_used} 'ex-02': photos/ex-02.jpg: no such file ({tmp_path}/photos/ex-02.jpg)",
        f"warning: {examples}: 2 photo(s) of the examples could not be used building the example index, which holds "
        "those examples without them; fix them (relative paths start at --image-root, by default beside the examples "
        f"file) and build the index again: tagllm index build {examples} --index {index}",
    ]


def test_settings_are_blamed_on_the_flag_or_the_environment_variable(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGLLM_K", "abc")
    result = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-c", str(config), "--threshold", "2"])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == (
        "invalid configuration:\n"
        "  TAGLLM_K=abc (environment variable): Input should be a valid integer, unable to parse string as an integer\n"
        "  --threshold 2.0: Input should be less than or equal to 1"
    )


def test_the_unknown_taxonomy_list_has_no_synonym_files_and_each_folder_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from tagllm.taxonomy import REPO_TAXONOMY_DIR

    monkeypatch.chdir(REPO_TAXONOMY_DIR.parent)  # ./taxonomy is the repository's own folder
    result = runner.invoke(app, ["taxonomy", "stats", "-t", "nosuch"])
    assert str(result.exception) == (
        f"unknown taxonomy 'nosuch': not a file, and no taxonomy of that name in {REPO_TAXONOMY_DIR} "
        "(known: demo, shopify)"
    )


def test_a_retrieval_run_says_the_prompt_is_unused(tmp_path: Path, config: Path) -> None:
    result = runner.invoke(
        app, ["generate", str(DATA / "products.jsonl"), "-o", str(tmp_path / "o.jsonl"), "-c", str(config),
              "--prompt", "fewshot"],
    )  # fmt: skip
    assert result.exit_code == 0
    assert "warning: --prompt fewshot: the retrieval backend writes no prompt, so it is unused" in result.stderr


def test_a_shopify_export_is_tagged_through_column_mapping_keeping_the_title(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "products_export.csv"
    src.write_text(
        "Handle,Title,Body (HTML),Vendor,Variant SKU\n"
        'navy-polo,Men\'s Cotton Polo T-Shirt Navy,"<p>Soft, breathable</p>",US Polo,P-1\n'
        "earbuds,Wireless Earbuds Bluetooth 5.3 Black,,JBL,E-7\n"
        "earbuds,,,,E-8\n"  # a second variant: Shopify repeats the handle without a title
    )
    out = tmp_path / "tags.csv"
    result = runner.invoke(
        app, ["generate", str(src), "-o", str(out), "-c", str(config), "--keep-columns", "title,Variant SKU",
              "--columns", 'id=Handle,title=Title,description="Body (HTML)",brand=Vendor'],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "column 'Variant SKU' is not a product field; kept in extra" in result.stderr
    assert "2 tagged, 0 failed, 1 variant row(s) joined to their product in " in result.stderr  # one per Handle
    rows = list(csv.DictReader(out.open()))
    assert [(r["product_id"], r["title"], r["Variant SKU"], r["category_id"]) for r in rows] == [
        ("navy-polo", "Men's Cotton Polo T-Shirt Navy", "P-1", "apparel-tshirts"),
        ("earbuds", "Wireless Earbuds Bluetooth 5.3 Black", "E-7", "electronics-headphones"),
    ]


def test_no_provenance_drops_it_from_jsonl(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "o.jsonl"
    result = runner.invoke(
        app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config), "--no-provenance"]
    )
    assert result.exit_code == 0
    first = json.loads(out.read_text().splitlines()[0])
    assert sorted(first) == ["input_hash", "product_id", "rejected", "status", "tags"]


def test_streamed_input_from_a_named_pipe_is_read_once_with_column_warnings(tmp_path: Path, config: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    lines = b'{"id": "a", "title": "Blue denim jeans", "colour": "blue"}\n{"id": "b", "title": "Gold necklace"}\n'
    feeder = threading.Thread(target=fifo.write_bytes, args=(lines,))
    feeder.start()
    out = tmp_path / "o.jsonl"
    result = runner.invoke(app, ["generate", str(fifo), "-o", str(out), "-c", str(config)])
    feeder.join(timeout=5)
    assert result.exit_code == 0, result.output
    assert "column 'colour' is not a product field" in result.stderr
    assert [json.loads(line)["product_id"] for line in out.read_text().splitlines()] == ["a", "b"]


def test_generate_on_a_terminal_says_it_reads_stdin(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tagllm.cli.generate._stdin_is_terminal", lambda: True)
    result = runner.invoke(app, ["generate", "-c", str(config)], input='{"id": "s", "title": "Steel pot"}\n')
    assert result.stderr.startswith("reading products from stdin, one JSON object per line (end with Ctrl-D)…\n")


def test_ctrl_c_says_how_far_it_got_and_how_to_go_on(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagllm.tagger import Tagger

    real = Tagger.tag_batch
    calls = 0

    def interrupted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Tagger, "tag_batch", interrupted)
    out = tmp_path / "o.jsonl"
    result = runner.invoke(
        app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config), "--batch-size", "1"]
    )
    assert result.exit_code == 130
    assert result.stderr.endswith(
        f"interrupted: 1 tagged, 0 failed are in {out}; to go on, run the same command with --resume\n"
    )
    assert len(out.read_text().splitlines()) == 1


def test_ctrl_c_in_a_resumed_run_counts_the_rows_earlier_runs_wrote(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resumed run of 1,200 products stopped by Ctrl-C, as the run before it, said 'interrupted: 256 tagged, 0
    failed are in out.csv' while out.csv held 512 rows: the 256 the first run wrote were not counted."""
    from tagllm.tagger import Tagger

    real = Tagger.tag_batch
    calls = 0

    def interrupted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls % 2 == 0:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Tagger, "tag_batch", interrupted)
    out = tmp_path / "o.jsonl"
    args = ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config), "--batch-size", "1"]
    assert runner.invoke(app, args).exit_code == 130
    result = runner.invoke(app, [*args, "--resume"])
    assert result.exit_code == 130
    assert result.stderr.endswith(
        f"interrupted: 1 tagged, 0 failed, 1 already done; {out} holds 2 product(s), 1 of them from earlier runs; to "
        "go on, run the same command with --resume\n"
    )
    assert len(out.read_text().splitlines()) == 2


def test_generate_stopped_by_sigterm_says_how_far_it_got_and_exits_143(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    from tagllm.tagger import Tagger

    real = Tagger.tag_batch
    calls = 0

    def terminated(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            handler = signal.getsignal(signal.SIGTERM)
            if getattr(handler, "__qualname__", "") != "Sigterm._stop":  # sent, it would end pytest itself
                pytest.fail(f"SIGTERM is left to {handler} during the run: it would end the process at once")
            os.kill(os.getpid(), signal.SIGTERM)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Tagger, "tag_batch", terminated)
    out = tmp_path / "o.jsonl"
    # the run takes SIGTERM over only from its default (Ray's driver, started by another test, sets a handler)
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        result = runner.invoke(
            app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config), "--batch-size", "1"]
        )
        after = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 143
    assert result.stderr.endswith(
        f"terminated (SIGTERM): 1 tagged, 0 failed are in {out}; to go on, run the same command with --resume\n"
    )
    assert len(out.read_text().splitlines()) == 1
    assert after == signal.SIG_DFL  # given back once the output was finished


def test_output_extension_unknown_names_output_format(tmp_path: Path, config: Path) -> None:
    result = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-o", "tags.txt", "-c", str(config)])
    assert isinstance(result.exception, InputError)
    assert str(result.exception) == (
        "tags.txt: cannot tell the format from the extension; pass --output-format (jsonl, csv, parquet)"
    )


def test_help_lists_exit_codes_and_readable_types(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tagllm", "generate", "--help"], capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert (
        "Exit codes: 0 every product tagged; 1 some records failed (they are error records in the output: --resume "
        "retries them) or repeat an earlier record's id (not tagged, and not retried: give each its own id); "
    ) in text
    assert "2 a setup or usage mistake (nothing tagged), or an output the disk stopped taking part way" in text
    assert "3 tagllm crashed (a bug: the traceback is printed)" in text
    assert "see the end of this help" not in text  # the exit codes follow the description, not the options
    assert "-o, --output FILE" in text and "--threshold 0..1" in text
    assert "<str>" not in text and "<bool>" not in text and "<int>" not in text


def test_a_crash_exits_3_with_the_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:  # type: ignore[type-arg]
    from tagllm.cli import main

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr("tagllm.taxonomy.load_taxonomy", broken)
    monkeypatch.setattr(sys, "argv", ["tagllm", "taxonomy", "stats", "-t", "demo"])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 3
    err = capsys.readouterr().err
    assert "RuntimeError: a bug" in err and err.endswith(
        "error: tagllm crashed (a bug, not a problem with your input): please report it with the traceback above\n"
    )


def _terminal_progress(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, list[float]]:
    """A ``StderrProgress`` writing to a stream that says it is a terminal, the stream, and the clock it reads."""
    import io

    from tagllm.cli.common import StderrProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    clock = [0.0]
    monkeypatch.setattr("tagllm.cli.common.time.monotonic", lambda: clock[0])
    screen = Terminal()
    return StderrProgress(stream=screen), screen, clock


def test_progress_shows_counts_and_rate_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from tagllm.cli.common import StderrProgress

    progress, screen, clock = _terminal_progress(monkeypatch)
    progress("labels", 512, 2048)
    clock[0] = 2.0
    progress("labels", 2048, 2048)
    progress("tag", 1024, None)
    clock[0] = 4.0
    progress("encode", 1024, 4096)
    progress.done()
    assert screen.getvalue().split("\n") == [
        "\rembedding taxonomy labels 512/2,048\rembedding taxonomy labels 2,048/2,048 (1,024/s)",
        "\rtagged 1,024\rtagged 1,024 (512/s), embedding the next 4,096: 1,024",
        "",
    ]
    piped = io.StringIO()
    quiet = StderrProgress(stream=piped)
    quiet("tag", 5, None)
    quiet.done()
    assert piped.getvalue() == ""


def test_progress_counts_the_llms_answers_to_the_batch_on_the_tag_line(monkeypatch: pytest.MonkeyPatch) -> None:
    progress, screen, clock = _terminal_progress(monkeypatch)
    progress("tag", 0, None)
    clock[0] = 1.0
    progress("answer", 312, 1024)
    clock[0] = 2.0
    progress("answer", 1024, 1024)
    progress("tag", 1024, None)
    progress.done()
    answering = "tagged, the LLM answering 1,024: 312"
    assert screen.getvalue().split("\n") == [
        f"\rtagged\r{answering}\r{'tagged'.ljust(len(answering))}\rtagged 1,024 (512/s)",
        "",
    ]


def test_progress_ends_each_line_with_its_last_count(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from tagllm.cli.common import StderrProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("tagllm.cli.common.time.monotonic", lambda: 5.0)  # every report comes at once
    screen = Terminal()
    progress = StderrProgress(stream=screen)
    for done in (256, 768, 1792):
        progress("tag", done, None)
    progress.done()
    assert screen.getvalue() == "\rtagged 256\rtagged 1,792\n"


def test_help_is_printed_without_importing_rich() -> None:
    """Formatting help with rich imports its markdown, syntax and traceback modules: most of `tagllm --help`'s time."""
    code = (
        "import sys\nfrom tagllm.cli import main\nsys.argv = ['tagllm', 'generate', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith(('rich.', 'typer.rich'))), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage:" in out.stdout and "Exit codes: 0 every product tagged" in out.stdout
    assert out.stderr.strip() == "[]"


def test_the_cli_starts_without_the_pipeline_pydantic_models_or_heavy_libraries() -> None:
    """`tagllm --help` imports the command modules only: what a command needs is imported when it runs."""
    heavy = ("tagllm.models", "tagllm.backends", "pydantic", "numpy", "torch", "faiss", "sklearn", "transformers")
    code = f"import sys, tagllm.cli; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_generate_writes_every_facets_tags_csv_and_parquet_one_column_per_facet(
    tmp_path: Path, config: Path, suffix: str
) -> None:
    out = tmp_path / f"tags.{suffix}"
    result = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config)])
    assert result.exit_code == 0, result.output
    facets = ["category", "color", "material", "audience"]  # the facets the demo examples label
    if suffix == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        tagged = {f: [t["id"] for t in rows[0]["tags"].get(f, []) if t["source"] != "ancestor"] for f in facets}
    else:
        if suffix == "csv":
            rows = list(csv.DictReader(out.open()))
            ids = {f: [x for x in rows[0][f"{f}_id"].split(" | ") if x] for f in facets}
        else:
            pq = pytest.importorskip("pyarrow.parquet")
            rows = pq.read_table(out).to_pylist()
            ids = {f: rows[0][f"{f}_id"] for f in facets}
        for facet in facets:
            assert {facet, f"{facet}_id", f"{facet}_confidence"} <= set(rows[0])
        tagged = ids
    # "Men's Cotton Polo T-Shirt Navy"
    assert tagged == {
        "category": ["apparel-tshirts"], "color": ["color-blue"], "material": ["material-cotton"],
        "audience": ["audience-men"],
    }  # fmt: skip


def test_generate_says_before_the_first_product_which_facets_the_default_will_leave_empty(demo_index_dir) -> None:  # type: ignore[no-untyped-def]
    from tagllm.backends.retrieval import RetrievalBackend
    from tagllm.candidates.calibration import Keep
    from tagllm.config import TaggerConfig
    from tagllm.setup_warnings import abstaining_warnings
    from tagllm.tagger import Tagger

    tagger = Tagger.from_config(TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5))
    assert isinstance(tagger.backend, RetrievalBackend)
    assert abstaining_warnings(tagger) == []  # the demo index's facets keep their likely values
    tagger.backend.facet_keep.update({"color": Keep(1.01, 1.01), "material": Keep(0.7, 1.01)})  # colour: 0.9 nowhere
    said = abstaining_warnings(tagger)
    assert len(said) == 1 and said[0].startswith("color: no confidence reached precision 0.9")
    assert "this facet" in said[0] and "material" not in said[0]
    [result] = tagger.tag([{"id": "p", "title": "Men's Red Cotton T-Shirt"}])
    assert "color" not in result.tags and result.tags["category"]


def test_generate_reads_the_examples_attribute_tags_from_the_field_it_is_given(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [json.loads(line) for line in (DATA / "demo_examples.jsonl").read_text().splitlines() if line.strip()]
    for row in rows:  # the colour moves from the labels to "Key: Value" tags
        colour = row["labels"].pop("color", None)
        row["specs"] = [f"Color: {c.removeprefix('color-')}" for c in colour or []]
    examples = tmp_path / "examples.jsonl"
    examples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "tags.jsonl"
    args = ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-t", "demo", "--examples", str(examples)]
    result = runner.invoke(app, [*args, "--attribute-field", "specs", "-f", "category", "-f", "color", "-q"])
    assert result.exit_code == 0, result.output
    neighbours = [n for line in out.read_text().splitlines() for n in json.loads(line)["provenance"]["neighbours"]]
    assert neighbours and any("color" in n["labels"] for n in neighbours)


def test_a_shopify_export_s_unmapped_columns_are_named_in_one_line_and_a_misspelt_one_apart(
    tmp_path: Path, config: Path
) -> None:
    src = tmp_path / "products_export.csv"
    src.write_text(
        "Handle,Title,Vendor,Tags,Option1 Name,Option1 Value,Variant SKU,Variant Price,Descripton\n"
        "navy-polo,Men's Cotton Polo T-Shirt Navy,US Polo,polo,Size,M,P-1,19.99,Soft cotton\n"
    )
    result = runner.invoke(
        app, ["generate", str(src), "-o", str(tmp_path / "o.jsonl"), "-c", str(config),
              "--columns", "id=Handle,title=Title,brand=Vendor"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: {src}: column 'Descripton' is not a product field (did you mean 'description'? or map it: "
        "--columns description=Descripton); kept in extra",
        f"warning: {src}: 5 columns are not product fields, kept in extra: 'Tags', 'Option1 Name', "
        "'Option1 Value', 'Variant SKU', 'Variant Price' (map one with --columns FIELD=COLUMN)",
    ]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["generate", "{products}", "-t", "demo", "-o", "{out}"], "to go on, run the same command with --resume"),
        (["generate", "{products}", "-t", "demo"], "run it again"),  # to stdout: nothing to --resume
        (["taxonomy", "stats", "-t", "demo"], "run it again"),
    ],
    ids=["generate", "generate to stdout", "taxonomy stats"],
)
def test_ctrl_c_at_start_up_says_the_command_was_interrupted(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,  # type: ignore[type-arg]
    tmp_path: Path,
    args: list[str],
    said: str,
) -> None:
    """Ctrl-C while the taxonomy or a model loaded exited 130 without a word: typer turns a KeyboardInterrupt into a
    silent exit, so main()'s 'interrupted' was never reached."""
    from tagllm.cli import main

    def ctrl_c(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr("tagllm.taxonomy.load_taxonomy", ctrl_c)
    monkeypatch.setattr("tagllm.tagger.Tagger.from_config", ctrl_c)
    products, out = DATA / "products.jsonl", tmp_path / "out.jsonl"
    monkeypatch.setattr(sys, "argv", ["tagllm"] + [a.format(products=products, out=out) for a in args])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 130
    command = " ".join(args[:2] if args[0] == "taxonomy" else args[:1])
    assert capsys.readouterr().err == f"interrupted: tagllm {command} did not finish; {said}\n"
    assert not out.exists()


def test_int8_tags_a_product_the_same_whatever_else_its_file_holds(tmp_path: Path) -> None:
    """The 40 quick-start products tagged as one file and as two files of 20 with the int8 encoder: the same tags,
    confidences and neighbours (with their scores) for each. int8 quantises each token with its own scale; the recipe
    before took one scale per batch, and 2 of these products got other tags, 39 other confidences. (The candidates'
    lexical evidence, ``lex_linear``, moves in its fourth decimal with the file here, fp32 too: not the encoder.)"""
    index = tmp_path / "int8-index"
    int8 = ["--taxonomy", "demo", "--embedder-backend", "onnx"]
    built = runner.invoke(app, ["index", "build", str(DATA / "demo_examples.jsonl"), "-i", str(index), *int8, "-q"])
    assert built.exit_code == 0, built.output
    lines = (Path(__file__).parents[1] / "examples" / "products.jsonl").read_text().splitlines()
    files = {"all": lines, "first": lines[:20], "second": lines[20:]}
    results: dict[str, dict[str, Any]] = {}
    for name, part in files.items():
        (tmp_path / f"{name}.jsonl").write_text("\n".join(part) + "\n")
        out = tmp_path / f"{name}.tags.jsonl"
        tagged = runner.invoke(
            app, ["generate", str(tmp_path / f"{name}.jsonl"), "-o", str(out), "--index", str(index), *int8]
        )
        assert tagged.exit_code == 0, tagged.output
        for line in out.read_text().splitlines():
            result = json.loads(line)
            seen = (result["tags"], result["rejected"], result["provenance"]["neighbours"])
            results.setdefault(name, {})[result["product_id"]] = seen
    assert results["all"] == {**results["first"], **results["second"]}
    assert len(results["all"]) == 40 and all(tags.get("category") for tags, _, _ in results["all"].values())

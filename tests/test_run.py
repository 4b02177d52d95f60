"""File runs through the API: results written as they are ready, resume that retries failures and ends with one row
per product, Ctrl-C, repeated ids, and an output that would overwrite its input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from output_rows import read_rows

from tagllm.cli.run_report import summary_line
from tagllm.config import TaggerConfig
from tagllm.errors import InputError, InputWarning, OutputError, RetryableBackendError
from tagllm.io import RecordSource
from tagllm.retrieval.index import ExampleIndex
from tagllm.run import RunInterrupted
from tagllm.tagger import Tagger
from tagllm.taxonomy import load_taxonomy

DATA = Path(__file__).parent / "data"
TITLES = ["Blue denim jeans", "Gold plated necklace", "Wireless earbuds", "Red summer dress", "Steel cooking pot"]


@pytest.fixture(scope="module")
def tagger(demo_taxonomy, demo_index_dir, embedder):  # type: ignore[no-untyped-def]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    return Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5, batch_size=2))


def _products(path: Path, n: int = 5, extra: str = "") -> Path:
    lines = [json.dumps({"id": f"p{i}", "title": TITLES[i % len(TITLES)]}) for i in range(n)]
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


@pytest.fixture()
def outage(tagger, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The backend fails every request, as during a server outage."""

    def down(requests):  # type: ignore[no-untyped-def]
        raise RetryableBackendError("server unavailable (503)")

    monkeypatch.setattr(tagger.backend, "generate", down)
    return monkeypatch


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_resume_retries_failed_products_and_ends_with_one_row_each(tagger, outage, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    src, out = _products(tmp_path / "in.jsonl", 3), tmp_path / f"out{suffix}"
    failed = tagger.tag_file(src, out)
    assert (failed.tagged, failed.failed, failed.still_failed, failed.exit_code) == (0, 3, 3, 1)
    outage.undo()  # the server is back
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.failed, again.skipped, again.retried, again.exit_code) == (3, 0, 0, 3, 0)
    rows = read_rows(out)
    assert sorted(r["product_id"] for r in rows) == ["p0", "p1", "p2"]
    assert {r["status"] for r in rows} == {"ok"}
    done = tagger.tag_file(src, out, resume=True)
    assert (done.tagged, done.skipped, done.exit_code) == (0, 3, 0) and len(read_rows(out)) == 3
    assert not Path(f"{out}.parts").exists()


def test_resume_does_not_append_the_error_records_of_bad_lines_again(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = _products(tmp_path / "in.jsonl", 3, extra='{"id": "x", "title": \n{"id": "y"}\n')
    out = tmp_path / "out.jsonl"
    first = tagger.tag_file(src, out)
    assert (first.tagged, first.failed, first.exit_code) == (3, 2, 1)
    for _ in range(3):
        again = tagger.tag_file(src, out, resume=True)
        assert (again.tagged, again.failed, again.skipped, again.exit_code) == (0, 2, 3, 1)
        # the cut line is named by the id whole before its break (io.products.named_error), not by its line
        assert sorted(r["product_id"] for r in read_rows(out)) == ["p0", "p1", "p2", "x", "y"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_a_line_fixed_as_the_run_advised_leaves_no_error_record_behind(tagger, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    # 'fix the cause and run again with --resume': the fixed line is tagged under its id; its error record was named
    # by that id too (read whole before the break: io.products.named_error), so the tags replace it, nothing stale
    src = _products(tmp_path / "in.jsonl", 2, extra='{"id": "p9", "title": "Wool scarf"\n')
    out = tmp_path / f"out{suffix}"
    first = tagger.tag_file(src, out)
    assert (first.tagged, first.failed, first.exit_code) == (2, 1, 1)
    src.write_text(src.read_text().replace('"Wool scarf"\n', '"Wool scarf"}\n'))
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.skipped, again.stale, again.still_failed, again.exit_code) == (1, 2, 0, 0, 0)
    assert sorted(r["product_id"] for r in read_rows(out)) == ["p0", "p1", "p9"]


def test_an_interrupted_resume_keeps_the_error_records_it_did_not_reach(tagger, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src = _products(tmp_path / "in.jsonl", 4, extra='{"id": "p9", "title": \n')
    out = tmp_path / "out.jsonl"
    tagger.tag_file(src, out)
    src.write_text("".join(json.dumps({"id": f"q{i}", "title": TITLES[i]}) + "\n" for i in range(4)))

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(tagger, "tag_batch", interrupted)
    with pytest.raises(RunInterrupted) as stop:
        tagger.tag_file(src, out, resume=True)
    assert (stop.value.summary.stale, stop.value.summary.still_failed) == (0, 1)
    assert "p9" in {r["product_id"] for r in read_rows(out)}  # the cut line's error record, named by its id


def test_a_csv_row_cut_after_its_product_id_is_tagged_again(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src, out = _products(tmp_path / "in.jsonl", 3), tmp_path / "out.csv"
    tagger.tag_file(src, out)
    text = out.read_bytes()
    out.write_bytes(text[: text.rindex(b"p2,ok") + len(b"p2,ok")])  # killed while writing p2's row
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.skipped) == (1, 2)
    assert [(r["product_id"], r["category_id"]) for r in read_rows(out)] == [
        ("p0", "apparel-jeans"), ("p1", "jewellery-necklaces"), ("p2", "electronics-headphones"),
    ]  # fmt: skip


def test_parquet_killed_mid_run_keeps_its_parts_and_resumes(tagger, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src, out = _products(tmp_path / "in.jsonl", 5), tmp_path / "out.parquet"
    batches = 0
    real = tagger.tag_batch

    def dies(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal batches
        batches += 1
        if batches == 2:
            raise SystemExit("killed")  # not KeyboardInterrupt: nothing is finished, as with kill -9
        return real(*args, **kwargs)

    monkeypatch.setattr(tagger, "tag_batch", dies)
    monkeypatch.setattr("tagllm.io.writers.ResultWriter.close", lambda self: None)
    with pytest.raises(SystemExit):
        tagger.tag_file(src, out)
    assert not out.exists() and len(list((tmp_path / "out.parquet.parts").glob("*.parquet"))) == 1
    monkeypatch.undo()
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.skipped) == (3, 2)
    assert sorted(r["product_id"] for r in read_rows(out)) == ["p0", "p1", "p2", "p3", "p4"]
    assert not (tmp_path / "out.parquet.parts").exists()


def test_results_are_written_as_they_are_ready(tagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    # distinct texts: a text an earlier window encoded is not encoded again (tagllm.retrieval.recent)
    src.write_text(
        "".join(json.dumps({"id": f"p{i}", "title": f"{TITLES[i % len(TITLES)]} {i}"}) + "\n" for i in range(600))
    )
    encode = tagger.embedder.encode
    calls: list[tuple[int, int]] = []  # (texts in the call, rows already in the output)

    def watching(texts, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((len(texts), len(out.read_text().splitlines()) if out.exists() else 0))
        return encode(texts, **kwargs)

    monkeypatch.setattr(tagger.embedder, "encode", watching)
    summary = tagger.tag_file(src, out)
    assert summary.tagged == 600
    assert calls == [(256, 0), (344, 256)]  # a small first window, then the rest: the first 256 were out already


def test_a_title_an_earlier_window_encoded_is_not_encoded_again(tagger, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src, out = _products(tmp_path / "in.jsonl", 260), tmp_path / "out.jsonl"  # five titles, again and again
    encode = tagger.embedder.encode
    calls: list[list[str]] = []

    def watching(texts, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return encode(texts, **kwargs)

    monkeypatch.setattr(tagger.embedder, "encode", watching)
    assert tagger.tag_file(src, out).tagged == 260
    assert calls == [TITLES]  # the first window (256 products) encoded each title once; the second window none
    tags = {r["product_id"]: r["tags"]["category"] for r in read_rows(out)}
    assert all(tags[f"p{i}"] == tags[f"p{i % 5}"] for i in range(256, 260))


def test_ctrl_c_keeps_what_was_tagged_and_says_so(tagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    src, out = _products(tmp_path / "in.jsonl", 5), tmp_path / "out.csv"
    real, batches = tagger.tag_batch, 0

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal batches
        batches += 1
        if batches == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(tagger, "tag_batch", interrupted)
    with pytest.raises(RunInterrupted) as stop:
        tagger.tag_file(src, out)
    assert (stop.value.summary.tagged, stop.value.summary.interrupted) == (2, True)
    assert [r["product_id"] for r in read_rows(out)] == ["p0", "p1"]
    monkeypatch.undo()
    rest = tagger.tag_file(src, out, resume=True)
    assert (rest.tagged, rest.skipped) == (3, 2) and len(read_rows(out)) == 5


def test_a_repeated_product_id_is_tagged_once_and_reported(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = _products(tmp_path / "in.jsonl", 2, extra='{"id": "p0", "title": "Another jeans listing"}\n')
    out = tmp_path / "out.jsonl"
    summary = tagger.tag_file(src, out)
    assert (summary.tagged, summary.duplicates, summary.exit_code) == (2, 1, 1)
    assert summary.errors == [
        f"{src}:3: product id 'p0' again (an earlier record has it); only the first is tagged: give this record an id "
        "of its own to tag it too"
    ]  # the exit code is 1, as for a failed record, but no error record is written and --resume will not tag it
    assert [r["product_id"] for r in read_rows(out)] == ["p0", "p1"]


def test_an_output_naming_the_input_is_refused_before_anything_is_written(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = _products(tmp_path / "in.jsonl", 3)
    before = src.read_bytes()
    with pytest.raises(InputError, match="is the input file: writing results there would destroy the products"):
        tagger.tag_file(src, tmp_path / "." / "in.jsonl")
    assert src.read_bytes() == before


def test_an_output_naming_a_file_the_run_reads_is_refused_before_anything_is_written(
    demo_taxonomy, demo_index_dir, embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The examples, the taxonomy and a prompt template are read too: `-o examples.jsonl` wrote 40 results over 3,000
    labelled examples (the index came from the cache, so nothing failed). Writing into the index is refused too."""
    src = _products(tmp_path / "in.jsonl", 3)
    examples = tmp_path / "examples.jsonl"
    examples.write_bytes((DATA / "demo_examples.jsonl").read_bytes())
    for name in ("demo.yaml", "demo-synonyms.yaml"):  # the same taxonomy, read from this file
        (tmp_path / name).write_bytes((Path(demo_taxonomy.source).parent / name).read_bytes())
    taxonomy = tmp_path / "demo.yaml"
    template = tmp_path / "mine.j2"
    template.write_text("{{ product.title }}")
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    config = TaggerConfig(examples=str(examples), prompt=str(template), k=5)
    tagger = Tagger(load_taxonomy(taxonomy), index=index, embedder=embedder, config=config)
    before = {p: p.read_bytes() for p in (examples, taxonomy, template)}
    for path, what in ((examples, "examples file"), (taxonomy, "taxonomy"), (template, "prompt template")):
        with pytest.raises(InputError) as error:
            tagger.tag_file(src, path, output_format="jsonl")
        assert str(error.value) == (
            f"the output {path} is the {what} ({path}): writing results there would destroy it; "
            "give another output file"
        )
    inside = demo_index_dir / "tags.jsonl"
    with pytest.raises(InputError) as error:
        tagger.tag_file(src, inside)
    assert str(error.value) == (
        f"the output {inside} is inside the index directory {demo_index_dir}: writing results there could overwrite "
        "what the run reads; give an output file elsewhere"
    )
    assert {p: p.read_bytes() for p in before} == before and not inside.exists()


def _refused_as_working_copy(tagger, src: Path, out: Path) -> None:  # type: ignore[no-untyped-def]
    """A fresh run and a resume both refuse ``src``, the working copy of the output ``out``, before writing."""
    for resume in (False, True):
        with pytest.raises(InputError) as error:
            tagger.tag_file(src, out, input_format="jsonl", resume=resume)
        assert str(error.value) == (
            f"the input file {src} is where tagllm writes the working copy of the output {out}, which it removes: "
            "give the input or the output another name"
        )


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_an_input_named_as_the_outputs_working_copy_is_refused_and_kept(tagger, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    """The writer removes OUT.tmp (a compaction or merge a kill left half done) and replaces OUT's settings record:
    `generate tags.jsonl.tmp -o tags.jsonl` tagged the products and then deleted them."""
    src = _products(tmp_path / f"tags{suffix}.tmp", 3)
    before = src.read_bytes()
    out = tmp_path / f"tags{suffix}"
    _refused_as_working_copy(tagger, src, out)
    assert src.read_bytes() == before and not out.exists()


def test_an_input_named_as_the_working_copy_of_the_file_a_symlinked_output_names_is_refused(  # type: ignore[no-untyped-def]
    tagger, tmp_path: Path
) -> None:
    # the writer keeps its working copy beside the file the link names (runs/r1.jsonl.tmp), not beside the link
    (tmp_path / "runs").mkdir()
    src = _products(tmp_path / "runs" / "r1.jsonl.tmp", 3)
    before = src.read_bytes()
    out = tmp_path / "latest.jsonl"
    out.symlink_to(Path("runs") / "r1.jsonl")
    _refused_as_working_copy(tagger, src, out)
    assert src.read_bytes() == before and not (tmp_path / "runs" / "r1.jsonl").exists()


def test_an_output_that_stdin_reads_is_refused_before_anything_is_written(  # type: ignore[no-untyped-def]
    tagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tagllm generate - -o products.jsonl < products.jsonl`: the output was truncated while stdin read it."""
    import sys

    src = _products(tmp_path / "in.jsonl", 3)
    before = src.read_bytes()
    with src.open("rb") as stdin:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": stdin, "fileno": stdin.fileno})())
        for resume in (False, True):
            with pytest.raises(InputError) as error:
                tagger.tag_file("-", src, output_format="jsonl", resume=resume)
            assert str(error.value) == (
                f"the output {src} is the file stdin reads (the input): writing results there would destroy the "
                "products; give another output file"
            )
    assert src.read_bytes() == before


def test_the_run_time_excludes_start_up(tagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    clock = [1000.0]
    monkeypatch.setattr("tagllm.run.time.perf_counter", lambda: clock[0])
    monkeypatch.setattr(tagger, "prepare", lambda progress=None: clock.__setitem__(0, clock[0] + 30.0))
    real = tagger.tag_batch

    def two_seconds(*args, **kwargs):  # type: ignore[no-untyped-def]
        clock[0] += 1.0
        return real(*args, **kwargs)

    monkeypatch.setattr(tagger, "tag_batch", two_seconds)
    summary = tagger.tag_file(_products(tmp_path / "in.jsonl", 4), tmp_path / "out.jsonl")
    assert (summary.startup_seconds, summary.seconds, summary.products_per_second) == (30.0, 2.0, 2.0)


def test_tag_file_warns_of_a_column_to_read_or_keep_that_the_input_lacks_before_the_first_product(  # type: ignore[no-untyped-def]
    tagger, tmp_path: Path
) -> None:
    # tagllm generate warned of these; tag_file said nothing: columns={"title": "name"} tagged the JSONL's own title,
    # and keep_columns=["SKU"] wrote an empty SKU column, without a word
    import warnings

    from tagllm.errors import InputWarning

    src, out = tmp_path / "in.jsonl", tmp_path / "out.csv"
    src.write_text('{"id": "s1", "title": "Blue denim jeans", "brand": "Levi"}\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        with pytest.raises(InputWarning):
            tagger.tag_file(src, out, columns={"title": "name"})
    assert not out.exists()  # said before anything was written
    with pytest.warns(InputWarning) as said:
        summary = tagger.tag_file(src, out, columns={"title": "name"}, keep_columns=["SKU"])
    assert [str(w.message) for w in said] == [
        f"columns title=name: {src} has no column 'name'; its own 'title' is read instead",
        f"keep_columns SKU: {src} has no column 'SKU'; its cells will be empty",
    ]
    assert said[0].filename == __file__  # at the caller's line
    assert summary.tagged == 1  # and the run goes on, as generate's does


def test_tag_file_warns_of_columns_that_are_no_product_field_naming_its_columns_argument(  # type: ignore[no-untyped-def]
    tagger, tmp_path: Path
) -> None:
    # tagllm generate warned of these; tag_file kept a misspelt "descripton" in extra and tagged from the title alone,
    # without a word
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("id,title,descripton,sku,price\ns1,Blue denim jeans,Stretch denim,S1,9\n")
    with pytest.warns(InputWarning) as said:
        summary = tagger.tag_file(src, out)
    assert [str(w.message) for w in said] == [
        f"{src}: column 'descripton' is not a product field (did you mean 'description'? or map it: "
        "columns={'description': 'descripton'}); kept in extra",
        f"{src}: 2 columns are not product fields, kept in extra: 'sku', 'price' (map one with "
        "columns={'FIELD': 'COLUMN'})",
    ]
    assert summary.tagged == 1


@pytest.mark.parametrize(
    ("options", "named"),
    [({"columns": {"title": "name"}}, "columns={'title': 'name'}"), ({"input_format": "csv"}, "input_format='csv'")],
)
def test_run_options_a_record_source_would_ignore_are_refused(tagger, tmp_path: Path, options, named) -> None:  # type: ignore[no-untyped-def]
    # columns= and input_format= were dropped without a word when the source was already a RecordSource: with the
    # titles under "name", both products became error records ("has no title")
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": "p1", "name": "Blue denim jeans"}\n{"id": "p2", "name": "Wireless earbuds"}\n')
    with pytest.raises(InputError) as refused:
        tagger.tag_file(RecordSource(src), out, **options)
    assert f"{named} is given to tag_file, but the RecordSource it reads has " in str(refused.value)
    assert "give them to RecordSource(...) or pass tag_file the path" in str(refused.value)
    assert not out.exists()


def test_run_options_a_record_source_already_has_are_accepted(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": "p1", "name": "Blue denim jeans"}\n')
    records = RecordSource(src, columns={"title": "name"})
    summary = tagger.tag_file(records, out, columns={"title": "name"}, input_format="jsonl")
    assert (summary.tagged, summary.failed) == (1, 0)


def test_a_repeated_id_is_named_however_many_failures_were_listed_before_it(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A repeated id's record is in no output: the summary is the only place that names it. Its message came after
    those of the first window's failed records, and once 20 were kept it was dropped: 30 records without a title,
    600 products, then a repeat gave '1 repeated id(s) not tagged', its line named nowhere. The messages not kept
    are counted."""
    lines = [json.dumps({"id": f"bad{i}", "title": ""}) for i in range(25)]
    lines += [json.dumps({"id": f"p{i}", "title": TITLES[i % len(TITLES)]}) for i in range(300)]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([*lines, '{"id": "p0", "title": "Jeans again"}']) + "\n")
    summary = tagger.tag_file(src, tmp_path / "out.jsonl")
    assert (summary.tagged, summary.failed, summary.duplicates) == (300, 25, 1)
    assert len(summary.errors) == 21 and summary.unlisted == 5  # the failures' first 20, and the repeat
    assert summary.unlisted_repeats == 0
    assert summary.errors[-1] == (
        f"{src}:326: product id 'p0' again (an earlier record has it); only the first is tagged: give this record an "
        "id of its own to tag it too"
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_rows_of_empty_cells_are_no_products_and_are_counted(tagger, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    # Excel writes a row of empty cells (",,") for each row whose cells were cleared: each was an error record ("has
    # no title"), exit 1, retried and failed again by every --resume
    src = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        src.write_text("id,title,brand\r\np1,Blue denim jeans,Levi's\r\n,,\r\np2,Red summer dress,\r\n , ,\r\n,,\r\n")
    else:
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        columns = {"id": ["p1", None, "p2"], "title": ["Blue denim jeans", None, "Red summer dress"]}
        pq.write_table(pa.table({**columns, "brand": ["Levi's", None, None]}), src)
    summary = tagger.tag_file(src, tmp_path / "out.jsonl")
    assert (summary.tagged, summary.failed, summary.exit_code) == (2, 0, 0)
    assert [row["product_id"] for row in read_rows(tmp_path / "out.jsonl")] == ["p1", "p2"]
    assert summary.empty_rows == (3 if suffix == ".csv" else 1)
    assert f", {summary.empty_rows} row(s) of empty cells skipped in " in summary_line(summary)


@pytest.mark.parametrize("name", ["catalog.csv", "catalog.jsonl", "catalog.parquet"])
def test_a_file_that_is_no_output_is_not_replaced_by_a_fresh_run(tagger, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    # -o naming the catalogue kept beside the products being tagged (its CSV or Parquet copy): a run without --resume
    # emptied it before the first product, without a word
    src, out = _products(tmp_path / "in.jsonl", 2), tmp_path / name
    if out.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"id": ["p0"], "title": [TITLES[0]]}), out)
        shown = "Parquet"
    else:
        out.write_text("id,title\np0,Blue denim jeans\n" if out.suffix == ".csv" else src.read_text())
        shown = "its first line: " + repr(out.read_text().splitlines()[0])
    before = out.read_bytes()
    with pytest.raises(OutputError) as error:
        tagger.tag_file(src, out)
    assert str(error.value) == (
        f"{out}: the file there is not an output of tagllm generate ({shown}), and this run would replace it "
        f"({out.suffix[1:].upper()} results): give another output file, or remove it first"
    )
    assert out.read_bytes() == before
    out.write_bytes(b"")  # an empty file, and an output of an earlier run, are replaced as before
    assert tagger.tag_file(src, out).tagged == 2
    assert tagger.tag_file(src, out).tagged == 2
    assert [row["product_id"] for row in read_rows(out)] == ["p0", "p1"]


def test_ids_a_spreadsheet_wrote_shortened_are_said_to_be_so(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # barcodes saved from Excel as '8.90123E+12': every product but the first was "product id '8.90123E+12' again
    # …: give this record an id of its own", as though the ids were the user's mistake rather than Excel's
    src = tmp_path / "in.csv"
    src.write_text("id,title\n8.90123E+12,Red maxi dress\n8.90123E+12,Blue denim jeans\n")
    summary = tagger.tag_file(src, tmp_path / "out.csv")
    assert (summary.tagged, summary.duplicates) == (1, 1)
    assert summary.errors == [
        f"{src}:3: product id '8.90123E+12' again (an earlier record has it); only the first is tagged: the id is a "
        "long number a spreadsheet saved shortened (Excel writes a barcode so): save the id column as text, or export "
        "the file again from where the ids come from"
    ]

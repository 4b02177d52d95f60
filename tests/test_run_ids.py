"""Product ids in a file run: a record without an id (or unreadable) is named by its line, and no real product can
take that name; on resume, results of products the input no longer has are kept and counted, or dropped on request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from output_rows import rows_by_id
from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.config import TaggerConfig
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

FORMATS = [".jsonl", ".csv", ".parquet"]


@pytest.fixture(scope="module")
def tagger(demo_taxonomy, demo_index_dir, embedder):  # type: ignore[no-untyped-def]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    return Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5, batch_size=2))


def _message(row: dict) -> str:  # type: ignore[type-arg]
    return row["error"]["message"] if isinstance(row["error"], dict) else row["error"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_an_id_naming_another_line_cannot_take_the_place_of_that_lines_record(tagger, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    # line 2 is not JSON and gives no id before its fault, so its error record is named line-2; line 3's product says
    # its id is line-2, and line 5's line-9: both could be taken for (or hide) the record of the line they name
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "p1", "title": "Blue denim jeans"}\n{"title": "Wool scarf", \n'
        '{"id": "line-2", "title": "Red summer dress"}\n{"title": "Gold plated necklace"}\n'
        '{"id": "line-9", "title": "Wireless earbuds"}\n{"id": "line-6", "title": "Steel cooking pot"}\n'
    )
    out = tmp_path / f"out{suffix}"
    summary = tagger.tag_file(src, out)
    assert (summary.tagged, summary.failed, summary.duplicates, summary.exit_code) == (3, 3, 0, 1)
    rows = rows_by_id(out)
    assert sorted(rows) == ["line-2", "line-3", "line-4", "line-5", "line-6", "p1"]
    assert {pid: r["status"] for pid, r in rows.items()}["line-4"] == "ok"  # no id: named by its line
    assert rows["line-6"]["status"] == "ok"  # an id naming its own line is its own
    assert _message(rows["line-3"]) == (
        f"{src}:3: the id 'line-2' is the name tagllm gives the record on line 2 when that one has no id or cannot "
        "be read; give this product another id, so that the two cannot be confused"
    )
    assert rows["line-5"]["status"] == "error"
    # the names are stable: resume finds the error records and retries them, and every record keeps one row
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.failed, again.skipped, again.retried, again.duplicates) == (0, 3, 3, 3, 0)
    assert sorted(rows_by_id(out)) == sorted(rows)


def test_an_unreadable_record_whose_id_names_another_line_is_named_by_its_own(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "p1", "title": "Blue denim jeans"}\n{"id": "line-1"}\n{"id": "line-1", "title": ""}\n')
    out = tmp_path / "out.jsonl"
    summary = tagger.tag_file(src, out)
    assert (summary.tagged, summary.failed, summary.duplicates) == (1, 2, 0)
    assert sorted(rows_by_id(out)) == ["line-2", "line-3", "p1"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_blank_ids_are_named_by_their_lines_not_taken_as_one_repeated_id(tagger, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": " ", "title": "Steel cooking pot"}\n{"id": "\\t", "title": "Wool scarf"}\n')
    out = tmp_path / f"out{suffix}"
    summary = tagger.tag_file(src, out)
    assert (summary.tagged, summary.duplicates, summary.exit_code) == (2, 0, 0)
    assert sorted(rows_by_id(out)) == ["line-1", "line-2"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_an_id_holding_half_a_surrogate_pair_is_named_by_its_line(tagger, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    # JSON escapes of half an emoji (a string cut short in JavaScript): no file can hold such an id as UTF-8
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "\\ud83d", "title": "Blue denim jeans"}\n{"id": "p2", "title": "Red summer dress"}\n')
    out = tmp_path / f"out{suffix}"
    summary = tagger.tag_file(src, out)
    assert (summary.tagged, summary.failed, summary.exit_code) == (1, 1, 1)
    rows = rows_by_id(out)
    assert sorted(rows) == ["line-1", "p2"]
    assert _message(rows["line-1"]).startswith(  # named as its row is, not by an id no output can hold
        f"{src}:1: record line-1 field 'id': the id holds half of a surrogate pair ('\\ud83d': a character such as an "
        "emoji, cut in two)"
    )
    assert tagger.tag_file(src, out, resume=True).retried == 1
    assert sorted(rows_by_id(out)) == ["line-1", "p2"]


@pytest.mark.parametrize("source", ["in.jsonl", "in.parquet"])
def test_nan_ids_are_named_by_their_lines_not_taken_as_one_repeated_id(tagger, tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    # a float id column's missing cells (pandas writes NaN; JSON from Python too): read as the id "nan", all but the
    # first such product were reported as repeats and never tagged
    src = tmp_path / source
    ids, titles = [1.0, float("nan"), float("nan")], ["Blue denim jeans", "Steel cooking pot", "Wool scarf"]
    if src.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"id": ids, "title": titles}), src)
    else:
        src.write_text("".join(json.dumps({"id": i, "title": t}) + "\n" for i, t in zip(ids, titles, strict=True)))
    out = tmp_path / "out.jsonl"
    summary = tagger.tag_file(src, out)
    assert (summary.tagged, summary.duplicates, summary.exit_code) == (3, 0, 0)
    assert sorted(rows_by_id(out)) == ["1" if src.suffix == ".parquet" else "1.0", "line-2", "line-3"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_whole_number_ids_of_a_float_column_are_written_as_their_integers(tagger, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    # an integer id column with a missing cell is floats in pandas and Parquet: product 17 was written as '17.0',
    # another id than the '17' a CSV export of the same table gives, so no row could be joined back to its product
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": [17, None, 2.5], "title": ["Blue denim jeans", "Wool scarf", "Steel cooking pot"]})
    src, out = tmp_path / "in.parquet", tmp_path / f"out{suffix}"
    frame.to_parquet(src)
    assert tagger.tag_file(src, out).exit_code == 0
    assert sorted(rows_by_id(out)) == ["17", "2.5", "line-2"]
    assert [r.product_id for r in tagger.tag(frame.to_dict("records"))] == ["17", "line-2", "2.5"]


TITLES = ["Blue denim jeans", "Gold plated necklace", "Wireless earbuds", "Red summer dress", "Steel cooking pot"]


def _products(path: Path, ids: list[str], titles: dict[str, str] | None = None) -> Path:
    """Products p0, p1, … each with its own title (the same in every file written), or the one ``titles`` gives."""
    given = titles or {}
    lines = [json.dumps({"id": i, "title": given.get(i, TITLES[int(i[1:]) % 5])}) for i in ids]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("suffix", FORMATS)
def test_resume_keeps_and_names_the_results_of_products_the_input_no_longer_has(tagger, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    src, out = _products(tmp_path / "in.jsonl", ["p1", "p2", "p3", "p4"]), tmp_path / f"out{suffix}"
    tagger.tag_file(src, out)
    _products(src, ["p1", "p3", "p5"])  # p2 and p4 left the catalogue, p5 joined it
    kept = tagger.tag_file(src, out, resume=True)
    assert (kept.tagged, kept.skipped, kept.absent, kept.absent_ids, kept.dropped_absent) == (
        1, 2, 2, ["p2", "p4"], False,
    )  # fmt: skip
    assert kept.exit_code == 0
    assert sorted(rows_by_id(out)) == ["p1", "p2", "p3", "p4", "p5"]
    dropped = tagger.tag_file(src, out, resume=True, drop_absent=True)
    assert (dropped.tagged, dropped.skipped, dropped.absent, dropped.dropped_absent) == (0, 3, 2, True)
    assert sorted(rows_by_id(out)) == ["p1", "p3", "p5"]
    again = tagger.tag_file(src, out, resume=True)
    assert (again.absent, again.absent_ids) == (0, [])


def test_an_interrupted_resume_counts_no_product_as_absent(tagger, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tagllm.run import RunInterrupted

    src, out = _products(tmp_path / "in.jsonl", ["p1", "p2", "p3"]), tmp_path / "out.jsonl"
    tagger.tag_file(src, out)
    _products(src, ["p1", "p9"])
    batches = tagger.tag_batches

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        yield from batches(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(tagger, "tag_batches", interrupted)
    with pytest.raises(RunInterrupted) as stop:
        tagger.tag_file(src, out, resume=True, drop_absent=True)
    assert (stop.value.summary.absent, stop.value.summary.dropped_absent) == (0, False)
    assert sorted(rows_by_id(out)) == ["p1", "p2", "p3", "p9"]  # not all of the input was read: nothing is removed


def test_the_cli_names_the_absent_products_and_how_to_drop_them(tmp_path: Path, demo_index_dir: Path) -> None:
    config = tmp_path / "tagllm.yaml"
    config.write_text(f"taxonomy: demo\nindex: {demo_index_dir}\nk: 5\n")
    src, out = _products(tmp_path / "in.jsonl", [f"p{i}" for i in range(8)]), tmp_path / "out.csv"
    runner = CliRunner()
    assert runner.invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config)]).exit_code == 0
    _products(src, ["p0"])
    kept = runner.invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config), "--resume"])
    assert kept.exit_code == 0
    assert "1 already done, 7 result(s) of products no longer in the input kept (p1, p2, p3, p4, p5 and 2 more)" in (
        kept.stderr
    )
    assert kept.stderr.splitlines()[-1] == (
        f"{out}: 7 result(s) kept of products {src} no longer has (p1, p2, p3, p4, p5 and 2 more); run again with "
        "--resume --drop-absent to remove them"
    )
    dropped = runner.invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config), "--resume", "--drop-absent"])
    assert dropped.exit_code == 0
    assert "7 result(s) of products no longer in the input removed (p1, p2, p3, p4, p5 and 2 more)" in dropped.stderr
    assert sorted(rows_by_id(out)) == ["p0"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_resume_tags_again_a_record_edited_since_it_was_tagged(tagger, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    src, out = _products(tmp_path / "in.jsonl", ["p0", "p1", "p2"]), tmp_path / f"out{suffix}"
    tagger.tag_file(src, out)
    category = {pid: _category(row) for pid, row in rows_by_id(out).items()}
    assert category["p0"] == "apparel-jeans"
    # p0 was jeans and is now a cooking pot; p1 gained a column the tagger does not read
    src.write_text(
        src.read_text().replace("Blue denim jeans", "Steel cooking pot").replace('"p1",', '"p1", "price": 5,')
    )
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.edited, again.skipped) == (1, 1, 2)
    rows = rows_by_id(out)
    assert (_category(rows["p0"]), _category(rows["p1"])) == ("home-cookware", category["p1"])
    assert tagger.tag_file(src, out, resume=True).skipped == 3


@pytest.mark.parametrize("suffix", FORMATS)
def test_resume_writes_the_error_record_of_a_record_edited_into_one_that_cannot_be_tagged(  # type: ignore[no-untyped-def]
    tagger, tmp_path: Path, suffix
) -> None:
    src, out = _products(tmp_path / "in.jsonl", ["p0", "p1", "p2"]), tmp_path / f"out{suffix}"
    tagger.tag_file(src, out)
    _products(src, ["p0", "p1", "p2"], titles={"p1": ""})  # p1's title emptied since it was tagged
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.failed, again.edited, again.skipped, again.exit_code) == (0, 1, 1, 2, 1)
    rows = rows_by_id(out)
    assert (rows["p1"]["status"], _category(rows["p0"])) == ("error", "apparel-jeans")
    error = rows["p1"]["error"]
    assert "record 'p1' has no title" in (error["message"] if isinstance(error, dict) else error)


def _category(row: dict) -> str:  # type: ignore[type-arg]
    if "tags" in row:
        return row["tags"]["category"][0]["id"]
    ids = row["category_id"]
    return ids[0] if isinstance(ids, list) else ids.split(" | ")[0]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_output_written_before_fingerprints_resumes_in_its_own_layout(tagger, tmp_path: Path, suffix) -> None:  # type: ignore[no-untyped-def]
    src, out = _products(tmp_path / "in.jsonl", ["p0", "p1"]), tmp_path / f"out{suffix}"
    tagger.tag_file(src, out)
    if suffix == ".csv":  # as an earlier version wrote it: no input_hash column
        lines = out.read_text().splitlines()
        out.write_text("".join(line.rsplit(",", 1)[0] + "\n" for line in lines))
    else:
        import pyarrow.parquet as pq

        pq.write_table(pq.read_table(out).drop(["input_hash"]), out)
    _products(src, ["p0", "p1", "p2"])
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.skipped, again.edited) == (1, 2, 0)
    rows = rows_by_id(out)
    assert sorted(rows) == ["p0", "p1", "p2"] and "input_hash" not in rows["p2"]

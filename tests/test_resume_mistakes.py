"""--resume onto a file that is not the output it expects is refused before anything is tagged, saying why."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tagllm.errors import InputError
from tagllm.io import ResultWriter
from tagllm.models import TagResult


def _output(path: Path, fmt: str) -> Path:
    writer = ResultWriter(path, format=fmt, facets=["category"])
    writer.write([TagResult(product_id="p1")])
    writer.close()
    return path


def test_a_csv_output_resumed_as_jsonl_names_the_format_it_has(tmp_path: Path) -> None:
    out = _output(tmp_path / "tags.out", "csv")
    with pytest.raises(InputError) as error:
        ResultWriter(out, format="jsonl", facets=["category"], resume=True)
    assert str(error.value) == (
        f"{out}:1: not a result row, so --resume cannot tell what is done; it looks like a CSV output of "
        "tagllm generate: resume with --output-format csv"
    )


def test_a_jsonl_output_resumed_as_csv_names_the_format_it_has(tmp_path: Path) -> None:
    out = _output(tmp_path / "tags.out", "jsonl")
    with pytest.raises(InputError) as error:
        ResultWriter(out, format="csv", facets=["category"], resume=True)
    assert str(error.value) == (
        f"{out}: not a CSV output of tagllm generate; it looks like a JSONL output of tagllm generate: "
        "resume with --output-format jsonl"
    )


def test_a_file_tagllm_did_not_write_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "notes.csv"
    out.write_text("name,price\nshirt,10\n")
    with pytest.raises(InputError) as error:
        ResultWriter(out, facets=["category"], resume=True)
    assert str(error.value) == (
        f"{out}: no product_id and status columns; is this the output of tagllm generate? write to a new file instead"
    )
    assert out.read_text() == "name,price\nshirt,10\n"  # untouched


def test_a_parquet_output_cut_off_says_how_to_go_on(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    out = _output(tmp_path / "tags.parquet", "parquet")
    whole = out.read_bytes()
    out.write_bytes(whole[: len(whole) // 2])  # a copy cut off, a disk that failed
    with pytest.raises(InputError) as error:
        ResultWriter(out, format="parquet", facets=["category"], resume=True)
    assert str(error.value).startswith(f"{out}: not a readable Parquet output of tagllm generate (")
    assert str(error.value).endswith(
        "), so --resume cannot tell what is done; move it aside and run without --resume to tag everything again"
    )
    assert out.read_bytes() == whole[: len(whole) // 2]  # left as it was


def test_a_jsonl_row_cut_short_in_the_middle_of_the_output_is_not_taken_for_done(tmp_path: Path) -> None:
    # an edit, or a disk fault, cut a finished row short: taken for done, the output kept a line no reader can parse
    out = tmp_path / "tags.jsonl"
    writer = ResultWriter(out, format="jsonl", facets=["category"])
    writer.write([TagResult(product_id=p) for p in ("p1", "p2", "p3")], digests=["aa", "bb", "cc"])
    writer.close()
    lines = out.read_text().splitlines(keepends=True)
    lines[1] = lines[1][:30] + "\n"
    damaged = "".join(lines)
    out.write_text(damaged)
    with pytest.raises(InputError) as error:
        ResultWriter(out, format="jsonl", facets=["category"], resume=True)
    assert str(error.value) == (
        f"{out}:2: the row of product 'p2' is damaged (not whole JSON), so --resume cannot tell what is done; "
        "delete that line and resume to tag the product again"
    )
    assert out.read_text() == damaged  # left as it was


def test_a_csv_output_a_spreadsheet_saved_with_a_byte_order_mark_resumes(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" puts a byte order mark before the header: read as part of the first column's name, the
    # output was refused as one without product_id and status columns
    out = tmp_path / "tags.csv"
    writer = ResultWriter(out, format="csv", facets=["category"])
    writer.write([TagResult(product_id="p1"), TagResult(product_id="p2", status="error")], digests=["aa", None])
    writer.close()
    out.write_bytes(b"\xef\xbb\xbf" + out.read_bytes())
    resumed = ResultWriter(out, format="csv", facets=["category"], resume=True)
    assert (sorted(resumed.state.last), resumed.state.failed) == (["p1", "p2"], {"p2"})
    resumed.write([TagResult(product_id="p2")], digests=["bb"])  # the failed product, tagged again
    resumed.close()
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8-sig")))
    assert [(r["product_id"], r["status"], r["input_hash"]) for r in rows] == [("p1", "ok", "aa"), ("p2", "ok", "bb")]


def test_a_damaged_parquet_part_says_to_move_it_aside_not_to_tag_everything_again(tmp_path: Path) -> None:
    # a part is renamed into place whole, but a power cut can still leave it empty: the advice to run without
    # --resume threw away the merged output and every other part, hours of tagging for one batch
    pytest.importorskip("pyarrow")
    out = _output(tmp_path / "tags.parquet", "parquet")
    writer = ResultWriter(out, format="parquet", facets=["category"], resume=True)
    writer.write([TagResult(product_id="p2")])
    writer.write([TagResult(product_id="p3")])
    writer._lock.release()  # killed here: the parts are not merged
    part = tmp_path / "tags.parquet.parts" / "part-000002.parquet"
    part.write_bytes(b"")
    with pytest.raises(InputError) as error:
        ResultWriter(out, format="parquet", facets=["category"], resume=True)
    assert str(error.value).startswith(f"{part}: not a readable part of the Parquet output {out} (")
    assert str(error.value).endswith(
        f"), so --resume cannot tell what it holds; move it out of {part.parent} and resume: the products it held "
        "are tagged again"
    )
    part.rename(tmp_path / "part-000002.parquet")
    writer = ResultWriter(out, format="parquet", facets=["category"], resume=True)
    assert sorted(writer.state.last) == ["p1", "p2"]


def test_a_whole_last_jsonl_row_without_its_newline_is_kept_not_cut_off_as_torn(tmp_path: Path) -> None:
    # a script that filtered the output wrote its rows joined by newlines, none after the last: cut off as a row torn
    # by a kill, p3's result was lost (not counted, so not kept as a product the input no longer has)
    out = tmp_path / "tags.jsonl"
    writer = ResultWriter(out, format="jsonl", facets=["category"])
    writer.write([TagResult(product_id=p) for p in ("p1", "p2", "p3")], digests=["aa", "bb", "cc"])
    writer.close()
    out.write_text(out.read_text().rstrip("\n"))
    resumed = ResultWriter(out, format="jsonl", facets=["category"], resume=True)
    assert sorted(resumed.state.last) == ["p1", "p2", "p3"]
    resumed.write([TagResult(product_id="p4")], digests=["dd"])
    resumed.close()
    lines = out.read_text().splitlines(keepends=True)
    assert [line[:19] for line in lines] == ['{"product_id":"p1",', '{"product_id":"p2",', '{"product_id":"p3",',
                                             '{"product_id":"p4",']  # fmt: skip
    assert all(line.endswith("}\n") for line in lines)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_blank_line_in_an_output_is_no_row_and_does_not_stop_a_resume(tmp_path: Path, fmt: str) -> None:
    # an editor that cleared a row, or outputs joined with a blank line between them: --resume refused the output as
    # "not a result row … is this the output of tagllm generate? write to a new file instead", all its work given up
    out = tmp_path / f"tags.{fmt}"
    writer = ResultWriter(out, format=fmt, facets=["category"])
    writer.write([TagResult(product_id=p) for p in ("p1", "p2", "p3")], digests=["aa", "bb", "cc"])
    writer.close()
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join([*lines[:-2], "\n", lines[-2], "  \n", lines[-1]]))
    resumed = ResultWriter(out, format=fmt, facets=["category"], resume=True)
    assert sorted(resumed.state.last) == ["p1", "p2", "p3"]
    resumed.write([TagResult(product_id="p4")], digests=["dd"])
    resumed.close()
    again = ResultWriter(out, format=fmt, facets=["category"], resume=True)
    assert sorted(again.state.last) == ["p1", "p2", "p3", "p4"]


def test_a_whole_last_csv_row_without_its_line_end_is_kept_and_one_cut_short_is_torn(tmp_path: Path) -> None:
    # an editor or a spreadsheet that saved the output left its last row without a line end: cut off as a row torn by
    # a kill, p3's result was lost (tagged again, or gone if the input no longer has it). A kill cuts a row short of
    # a column or inside its fingerprint, the last column: that row is still torn.
    out = tmp_path / "tags.csv"
    writer = ResultWriter(out, format="csv", facets=["category"])
    writer.write([TagResult(product_id=p) for p in ("p1", "p2", "p3")], digests=["a" * 16, "b" * 16, "c" * 16])
    writer.close()
    saved = out.read_bytes().removesuffix(b"\r\n")
    assert saved.endswith(b"c" * 16)
    # in the fingerprint; right before it (an empty fingerprint); after the status
    for torn in (saved[:-5], saved[:-16], saved[: saved.rindex(b"p3,") + 5]):
        out.write_bytes(torn)
        assert sorted(ResultWriter(out, format="csv", facets=["category"], resume=True).state.last) == ["p1", "p2"]
    out.write_bytes(saved)
    resumed = ResultWriter(out, format="csv", facets=["category"], resume=True)
    assert sorted(resumed.state.last) == ["p1", "p2", "p3"]
    resumed.write([TagResult(product_id="p4")], digests=["d" * 16])
    resumed.close()
    *lines, after_last = out.read_bytes().split(b"\r\n")
    assert [line[:3] for line in lines] == [b"pro", b"p1,", b"p2,", b"p3,", b"p4,"] and after_last == b""
    assert lines[3] == saved.rsplit(b"\r\n", 1)[1]

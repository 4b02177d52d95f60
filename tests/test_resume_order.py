"""A resume's output follows the input: the products it tags again (failed, edited) were appended, after every other
row, and the output no longer followed the input; closing a run that read the whole input puts the rows back in its
order, crash-safely (a copy renamed over the output), and a resume stopped part way loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from output_rows import outcomes

from tagllm.config import TaggerConfig
from tagllm.io.compaction import compact
from tagllm.retrieval.index import ExampleIndex
from tagllm.run import RunInterrupted
from tagllm.tagger import Tagger

TITLES = ["Blue denim jeans", "Gold plated necklace", "Wireless earbuds", "Red summer dress", "Steel cooking pot"]


@pytest.fixture(scope="module")
def tagger(demo_taxonomy, demo_index_dir, embedder):  # type: ignore[no-untyped-def]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    return Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5, batch_size=2))


def _write(path: Path, titles: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"id": pid, "title": title}) + "\n" for pid, title in titles.items()))
    return path


def _first_run(
    tagger: Tagger, tmp_path: Path, suffix: str, failing: tuple[str, ...] = ("p1", "p3")
) -> tuple[Path, Path, dict[str, str]]:
    """A run in which the ``failing`` products fail (no title), then their titles fixed in the input."""
    titles = {f"p{i}": title for i, title in enumerate(TITLES)}
    src, out = tmp_path / "in.jsonl", tmp_path / f"out{suffix}"
    tagger.tag_file(_write(src, {**titles, **dict.fromkeys(failing, "")}), out)
    assert outcomes(out) == [(pid, "error" if pid in failing else "ok") for pid in titles]
    return _write(src, titles), out, titles


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_the_products_a_resume_tags_again_are_put_back_in_the_inputs_order(
    tagger: Tagger, tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tagllm.io.compaction.MERGED_ROW_GROUP", 2)  # a Parquet merge of several batches
    src, out, _ = _first_run(tagger, tmp_path, suffix)
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.skipped) == (2, 3)
    assert outcomes(out) == [("p0", "ok"), ("p1", "ok"), ("p2", "ok"), ("p3", "ok"), ("p4", "ok")]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_product_the_input_no_longer_has_keeps_its_row_after_the_inputs(
    tagger: Tagger, tmp_path: Path, suffix: str
) -> None:
    src, out, titles = _first_run(tagger, tmp_path, suffix)
    del titles["p0"]  # removed from the catalogue: its row is kept (no --drop-absent), after the input's
    tagger.tag_file(_write(src, {"p9": "Wool scarf", **titles}), out, resume=True)
    assert [pid for pid, _ in outcomes(out)] == ["p9", "p1", "p2", "p3", "p4", "p0"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_a_resume_stopped_part_way_loses_nothing_and_the_next_puts_the_rows_in_order(
    tagger: Tagger, tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out, _ = _first_run(tagger, tmp_path, suffix, failing=("p1", "p2", "p3"))  # retried in two batches
    real = tagger.tag_batch
    calls = 0

    def stopped_after_one_batch(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls > 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(tagger, "tag_batch", stopped_after_one_batch)
        with pytest.raises(RunInterrupted):
            tagger.tag_file(src, out, resume=True)
    assert sorted(outcomes(out)) == [("p0", "ok"), ("p1", "ok"), ("p2", "ok"), ("p3", "error"), ("p4", "ok")]
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.skipped) == (1, 4)
    assert outcomes(out) == [("p0", "ok"), ("p1", "ok"), ("p2", "ok"), ("p3", "ok"), ("p4", "ok")]


@pytest.mark.parametrize(("fmt", "end"), [("csv", "\r\n"), ("csv", "\n"), ("jsonl", "\r\n"), ("jsonl", "\n")])
def test_a_compaction_ends_the_lines_it_writes_as_the_files_own_end(tmp_path: Path, fmt: str, end: str) -> None:
    """The lines a compaction writes (a CSV output's header, a JSONL output's last row without a line end, moved up)
    end as the file's rows do: it ended such a row with ``\\n`` and a header with ``\\r\\n`` always, so a file
    written with ``\\r\\n`` (Python's csv module's default, or another tool's) or ``\\n`` came out with both."""
    rows = {"b": '{"product_id":"b","status":"ok"}', "a": '{"product_id":"a","status":"ok"}'}
    header: list[str] = []
    if fmt == "csv":
        rows, header = {"b": "b,ok", "a": "a,ok"}, ["product_id,status"]
    out = tmp_path / f"o.{fmt}"
    last_end = end if fmt == "csv" else ""  # a JSONL row without a line end last
    out.write_bytes((end.join([*header, rows["b"], rows["a"]]) + last_end).encode())
    compact(out, fmt, order={"a": 0, "b": 1})
    assert out.read_bytes() == "".join(line + end for line in [*header, rows["a"], rows["b"]]).encode()


@pytest.mark.parametrize(
    ("suffix", "end", "last_end"),
    [(".jsonl", "\r\n", True), (".jsonl", "\r\n", False), (".csv", "\n", True), (".jsonl", "\n", False)],
)
def test_the_rows_a_resume_adds_end_as_the_files_own(
    tagger: Tagger, tmp_path: Path, suffix: str, end: str, last_end: bool
) -> None:
    """An output saved by another tool with other line ends (``\\r\\n`` in JSONL, ``\\n`` in CSV), its last row
    perhaps without one: a resume that appends rows (no compaction: the input's order kept) ends them as the file's
    rows end. It appended ``\\n`` (JSONL) or ``\\r\\n`` (CSV) rows, and ended a last row that had none with ``\\n``."""
    titles = {f"p{i}": title for i, title in enumerate(TITLES[:2])}
    src, out = tmp_path / "in.jsonl", tmp_path / f"out{suffix}"
    tagger.tag_file(_write(src, titles), out)
    saved = out.read_bytes().decode().replace("\r\n", "\n").replace("\n", end)
    out.write_bytes((saved if last_end else saved.removesuffix(end)).encode())
    again = tagger.tag_file(_write(src, {**titles, "p2": TITLES[2]}), out, resume=True)
    assert (again.tagged, again.skipped) == (1, 2)
    *lines, after_last = out.read_bytes().decode().split(end)
    assert after_last == "" and not any("\r" in line or "\n" in line for line in lines)
    assert outcomes(out) == [("p0", "ok"), ("p1", "ok"), ("p2", "ok")]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_compaction_streams_rows_in_order_and_leaves_an_output_with_nothing_to_change_as_it_is(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows already in the input's order (a failed product's row superseded by its retry's) are written as they are
    read, not held and sorted; an output of one row per product in that order is not rewritten at all."""
    rows = [
        '{"product_id":"a","status":"error"}',
        '{"product_id":"a","status":"ok"}',
        '{"product_id":"b","status":"ok"}',
    ]
    header: list[str] = []
    if fmt == "csv":
        rows, header = ["a,error", "a,ok", "b,ok"], ["product_id,status"]
    out = tmp_path / f"o.{fmt}"
    out.write_bytes("".join(line + "\n" for line in [*header, *rows]).encode())

    def held(*args: object) -> None:
        raise AssertionError("rows in order were held and sorted")

    monkeypatch.setattr("tagllm.io.compaction._moved", held)
    compact(out, fmt, order={"a": 0, "b": 1})
    assert out.read_bytes() == "".join(line + "\n" for line in [*header, *rows[1:]]).encode()
    before = (out.stat().st_ino, out.stat().st_mtime_ns)
    compact(out, fmt, order={"a": 0, "b": 1})
    assert (out.stat().st_ino, out.stat().st_mtime_ns) == before

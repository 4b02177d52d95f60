"""--resume over an output written before tagllm cleaned the text it reads (a description's HTML read as its text, NULs
left out): a product whose record is unchanged is done, not tagged again because the reader now reads it otherwise."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest

from tagllm.config import TaggerConfig
from tagllm.io.rows import TAGGED_FIELDS, raw_fingerprint
from tagllm.models import Product
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

RECORDS = [
    {"id": "p0", "title": "Slim jeans", "description": "<p>Blue <b>denim</b> jeans &amp; a belt</p>"},
    {"id": "p1", "title": "Steel\x00 cooking pot", "brand": "Pan\x00Co"},
    {"id": "p2", "title": "Wool scarf"},
    {"id": "p3", "title": "Cotton shirt", "attributes": {"Mate\x00rial": "Cot\x00ton", "Size": "M"}},
]


@pytest.fixture(scope="module")
def tagger(demo_taxonomy, demo_index_dir, embedder):  # type: ignore[no-untyped-def]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    return Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5, batch_size=2))


def _raw_fingerprint(record: dict[str, str]) -> str:
    """The fingerprint tagllm wrote before it cleaned the text: the record's text fields as they came."""
    fields = {"title": None, "description": None, "brand": None, "attributes": {}, "images": [], "queries": []}
    raw = Product.model_construct(**{**fields, **{k: v for k, v in record.items() if k != "id"}})
    return hashlib.sha1(raw.model_dump_json(include=TAGGED_FIELDS).encode("utf-8")).hexdigest()[:16]


def _as_written_before(out: Path) -> None:
    """Each row's fingerprint replaced by the one computed on its record's raw text, as an earlier version wrote it."""
    raw = {record["id"]: _raw_fingerprint(record) for record in RECORDS}
    if out.suffix == ".csv":
        with out.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        with out.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({**row, "input_hash": raw[row["product_id"]]} for row in rows)
        return
    lines = []
    for line in out.read_text().splitlines():
        product_id = json.loads(line)["product_id"]
        lines.append(re.sub(r'"input_hash":"[0-9a-f]+"', f'"input_hash":"{raw[product_id]}"', line))
    out.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_record_unchanged_since_an_output_of_its_raw_text_is_done(tagger, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    src, out = tmp_path / "in.jsonl", tmp_path / f"out{suffix}"
    src.write_text("".join(json.dumps(record) + "\n" for record in RECORDS))
    tagger.tag_file(src, out)
    _as_written_before(out)
    before = out.read_text()
    assert before.count(_raw_fingerprint(RECORDS[0])) == 1
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.edited, again.skipped) == (0, 0, 4)
    assert out.read_text() == before
    # a text edited since is still tagged again
    src.write_text(src.read_text().replace("Blue <b>denim</b> jeans", "Red <b>denim</b> jeans"))
    edited = tagger.tag_file(src, out, resume=True)
    assert (edited.tagged, edited.edited, edited.skipped) == (1, 1, 3)


def test_a_record_the_reader_does_not_change_has_no_second_fingerprint() -> None:
    """An empty description cell (a CSV's "") is the product's None: not text the cleaning changed."""
    record = {"id": "p3", "title": "Wool scarf", "description": "", "brand": " "}
    assert raw_fingerprint(Product(id="p3", title="Wool scarf"), record) is None
    cleaned = {"id": "p0", "title": "Slim jeans", "description": "<p>Blue denim</p>"}
    assert raw_fingerprint(Product(id="p0", title="Slim jeans", description="Blue denim"), cleaned) is not None


def test_an_attribute_with_a_nul_has_the_fingerprint_of_its_raw_text() -> None:
    """The reader leaves a NUL out of an attribute's key and value as of a title: an output written before holds the
    fingerprint of the attributes as the record gave them, in whichever shape (here a CSV cell of "Key: Value" tags)."""
    record = {"id": "p4", "title": "Linen shirt", "attributes": "Col\x00or: Red; Size: M\x00"}
    raw = _raw_fingerprint({**record, "attributes": {"Col\x00or": "Red", "Size": "M\x00"}})  # type: ignore[dict-item]
    assert raw_fingerprint(Product.model_validate(record), record) == raw
    clean = {"id": "p5", "title": "Linen shirt", "attributes": "Color: Red; Size: M"}
    assert raw_fingerprint(Product.model_validate(clean), clean) is None


@pytest.mark.parametrize("resume", [False, True])
def test_the_raw_text_is_read_again_only_for_a_row_of_another_fingerprint(  # type: ignore[no-untyped-def]
    tagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resume: bool
) -> None:
    # reading a record's attributes a second time cost every record of every run (~12 µs each on the Flipkart sample,
    # a sixth of reading it), though only a row tagged from another text than the record's needs it
    import tagllm.run_feed

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(record) + "\n" for record in RECORDS))
    if resume:
        tagger.tag_file(src, out)
    read = []
    monkeypatch.setattr(tagllm.run_feed, "raw_fingerprint", lambda *args: read.append(args) or raw_fingerprint(*args))
    tagger.tag_file(src, out, resume=resume)
    assert read == []
    src.write_text(src.read_text().replace("Wool scarf", "Red wool scarf"))
    edited = tagger.tag_file(src, out, resume=True)
    assert (edited.tagged, edited.edited) == (1, 1)
    assert [product.id for product, _ in read] == ["p2"]


def test_a_yes_no_attribute_is_done_on_an_output_written_when_it_read_as_python_spelt_it(
    tagger, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # the reader wrote a JSON true as "True" and 2.0 as "2.0" until it wrote them as a seller does ("true", "2"): an
    # output written before holds the fingerprint of the old spelling, and resume took each such product for edited
    from tagllm.io.rows import fingerprint

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": "p5", "title": "Rain jacket", "attributes": {"Waterproof": true, "Pockets": 2.0}}\n')
    tagger.tag_file(src, out)
    before = fingerprint(Product(id="p5", title="Rain jacket", attributes={"Waterproof": "True", "Pockets": "2.0"}))
    now = json.loads(out.read_text())["input_hash"]
    assert now != before
    out.write_text(out.read_text().replace(now, before))
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.edited, again.skipped) == (0, 0, 1)


def test_a_yes_no_attribute_in_pairs_is_done_on_an_output_written_when_it_read_as_python_spelt_it(
    tagger, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # [key, value] pairs (a map column) read true as "True" and 2.0 as "2.0" until they read as a mapping does
    from tagllm.io.rows import fingerprint

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": "p6", "title": "Rain jacket", "attributes": [["Waterproof", true], ["Pockets", 2.0]]}\n')
    tagger.tag_file(src, out)
    before = fingerprint(Product(id="p6", title="Rain jacket", attributes={"Waterproof": "True", "Pockets": "2.0"}))
    now = json.loads(out.read_text())["input_hash"]
    assert now != before
    out.write_text(out.read_text().replace(now, before))
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.edited, again.skipped) == (0, 0, 1)


def test_a_line_cut_short_is_an_error_row_named_by_its_id_that_resume_retries(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # an invalid JSON line whose id can be read is named by it, not line-N: resumed while still cut it is retried,
    # and once mended its row of tags replaces its error row, one row an id
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": "p7", "title": "Rain jacket"}\n{"id": "p8", "title": "Wool scarf", "brand": "Ac\n')
    first = tagger.tag_file(src, out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert (first.failed, [(r["product_id"], r["status"]) for r in rows]) == (1, [("p7", "ok"), ("p8", "error")])
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.failed, again.retried) == (0, 1, 1)
    src.write_text('{"id": "p7", "title": "Rain jacket"}\n{"id": "p8", "title": "Wool scarf", "brand": "Acme"}\n')
    mended = tagger.tag_file(src, out, resume=True)
    assert (mended.tagged, mended.failed, mended.skipped, mended.retried) == (1, 0, 1, 1)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted((r["product_id"], r["status"]) for r in rows) == [("p7", "ok"), ("p8", "ok")]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_a_cut_line_mended_under_another_id_has_its_error_row_removed_by_resume_saying_so(  # type: ignore[no-untyped-def]
    tagger, tmp_path: Path, suffix: str
) -> None:
    # the cut line's error row is named by the id it gave (p8); mended, the line gives another (p9): the input has no
    # record p8 any more, so its error row goes at once (not kept as a result of a product the input no longer has,
    # until --drop-absent), and the summary names it
    from output_rows import rows_by_id

    from tagllm.cli.run_report import summary_line

    src, out = tmp_path / "in.jsonl", tmp_path / f"out{suffix}"
    src.write_text('{"id": "p7", "title": "Rain jacket"}\n{"id": "p8", "title": "Wool scarf", "brand": "Ac\n')
    tagger.tag_file(src, out)
    assert {pid: row["status"] for pid, row in rows_by_id(out).items()} == {"p7": "ok", "p8": "error"}
    src.write_text('{"id": "p7", "title": "Rain jacket"}\n{"id": "p9", "title": "Wool scarf", "brand": "Acme"}\n')
    mended = tagger.tag_file(src, out, resume=True)
    assert (mended.tagged, mended.failed, mended.skipped, mended.stale, mended.stale_ids) == (1, 0, 1, 1, ["p8"])
    assert (mended.absent, mended.still_failed, mended.exit_code) == (0, 0, 0)
    assert {pid: row["status"] for pid, row in rows_by_id(out).items()} == {"p7": "ok", "p9": "ok"}
    assert (
        "1 earlier error record(s) removed (p8): the input no longer has a record of that name (its line was mended "
        "and is read under its own id, or was removed)"
    ) in summary_line(mended)


def test_a_cut_line_naming_a_later_records_id_does_not_cost_that_record_its_tags(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # a cut line whose readable id is that of a record read whole later (a writer that crashed mid-line and wrote the
    # record again): the whole record is tagged, the cut line is an error row named by its line in its place, and a
    # resume keeps one row for each; the cut line once claimed the id and the whole record was refused as its repeat
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        '{"id": "p9", "title": "Wool sc',
        '{"id": "p7", "title": "Rain jacket"}',
        '{"id": "p9", "title": "Wool scarf"}',
    ]
    src.write_text("\n".join(lines) + "\n")
    first = tagger.tag_file(src, out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert (first.tagged, first.failed, first.duplicates) == (2, 1, 0)
    assert [(r["product_id"], r["status"]) for r in rows] == [("line-1", "error"), ("p7", "ok"), ("p9", "ok")]
    assert "its id 'p9' is that of another record" in rows[0]["error"]["message"]
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.failed, again.skipped, again.retried) == (0, 1, 2, 1)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["product_id"], r["status"]) for r in rows] == [("line-1", "error"), ("p7", "ok"), ("p9", "ok")]


def test_broken_lines_past_those_held_are_named_by_their_line_at_once(tagger, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # a file most of whose lines break alike is not held in memory whole: past MAX_HELD_LINES, a broken line is
    # named by its line where it is read, so that it cannot take a later record's id either
    from tagllm import run_feed

    monkeypatch.setattr(run_feed, "MAX_HELD_LINES", 1)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = ['{"id": "p1", "title": "Wool sc', '{"id": "p2", "title": "Rain ja', '{"id": "p2", "title": "Rain jacket"}']
    src.write_text("\n".join(lines) + "\n")
    first = tagger.tag_file(src, out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert (first.tagged, first.failed, first.duplicates) == (1, 2, 0)
    assert [(r["product_id"], r["status"]) for r in rows] == [("p1", "error"), ("line-2", "error"), ("p2", "ok")]

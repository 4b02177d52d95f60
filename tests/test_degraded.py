"""A product tagged from its text because none of its photos could be read says so, and --resume tags it again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_photos import COLOURS, draw, photo_index  # noqa: F401  (the module-scoped index with photos)

from tagllm.config import TaggerConfig
from tagllm.errors import TagllmError
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

PRODUCTS = [
    {"id": "dead-link", "title": "Summer dress", "images": ["later.jpg"]},  # the photo is not there yet
    {"id": "good", "title": "Summer dress", "images": ["good.jpg"]},
    {"id": "remote", "title": "Summer dress", "images": ["https://example.com/dress.jpg"]},  # not fetched: a choice
    {"id": "no-photo", "title": "Summer dress"},
]


def tagger(photo_index: Path, demo_taxonomy: Any, embedder: Any) -> Tagger:  # noqa: F811
    return Tagger(demo_taxonomy, index=ExampleIndex.load(photo_index), embedder=embedder, config=TaggerConfig())


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_resume_tags_again_a_product_whose_photos_could_not_be_read(
    photo_index: Path,  # noqa: F811
    demo_taxonomy: Any,
    embedder: Any,
    tmp_path: Path,
    fmt: str,
) -> None:
    draw(tmp_path / "good.jpg", "dress", COLOURS["color-red"])
    source, target = tmp_path / "products.jsonl", tmp_path / f"tags.{fmt}"
    source.write_text("".join(json.dumps(p) + "\n" for p in PRODUCTS))
    run = tagger(photo_index, demo_taxonomy, embedder)

    first = run.tag_file(source, target)
    assert (first.tagged, first.failed, first.degraded, first.still_degraded, first.exit_code) == (4, 0, 1, 1, 0)
    if fmt == "jsonl":
        rows = {r["product_id"]: r for r in map(json.loads, target.read_text().splitlines())}
        assert {pid: row.get("degraded") for pid, row in rows.items()} == {
            "dead-link": {"field": "images", "record_id": "dead-link", "is_retryable": True,
                          "message": "no photo could be read, tagged from the text alone: later.jpg: no such file "
                          f"({tmp_path / 'later.jpg'})"},
            "good": None, "remote": None, "no-photo": None,
        }  # fmt: skip
        assert rows["dead-link"]["status"] == "ok" and rows["dead-link"]["tags"]["category"]

    again = run.tag_file(source, target, resume=True)  # the photo is still missing: the text's tags stay
    assert (again.tagged, again.skipped, again.retried_degraded, again.degraded, again.still_degraded) == (
        1,
        3,
        1,
        1,
        1,
    )

    draw(tmp_path / "later.jpg", "dress", COLOURS["color-blue"])  # the photo is there now
    fixed = run.tag_file(source, target, resume=True)
    assert (fixed.tagged, fixed.skipped, fixed.retried_degraded, fixed.degraded, fixed.still_degraded) == (
        1,
        3,
        1,
        0,
        0,
    )
    done = run.tag_file(source, target, resume=True)
    assert (done.tagged, done.skipped) == (0, 4)
    if fmt == "jsonl":
        rows = {r["product_id"]: r for r in map(json.loads, target.read_text().splitlines())}
        assert len(rows) == 4 and "degraded" not in rows["dead-link"]
        assert rows["dead-link"]["provenance"]["images"] == [
            {"source": "later.jpg", "status": "ok", "width": 150, "height": 200}
        ]


def test_a_retry_that_fails_keeps_the_tags_from_the_text(
    photo_index: Path,  # noqa: F811
    demo_taxonomy: Any,
    embedder: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, target = tmp_path / "products.jsonl", tmp_path / "tags.jsonl"
    source.write_text(json.dumps(PRODUCTS[0]) + "\n")  # its photo is missing
    run = tagger(photo_index, demo_taxonomy, embedder)
    assert run.tag_file(source, target).degraded == 1
    before = json.loads(target.read_text())

    def engine_down(requests: Any) -> Any:
        raise TagllmError("the engine is down")

    monkeypatch.setattr(run.backend, "generate", engine_down)
    again = run.tag_file(source, target, resume=True)
    assert json.loads(target.read_text()) == before  # one row, the text's tags, still marked degraded
    assert (again.retried_degraded, again.kept_text_only, again.failed, again.still_degraded) == (1, 1, 0, 1)
    assert again.errors == [
        "dead-link: tagged again, backend retrieval: the engine is down; its earlier tags from the text alone are kept"
    ]

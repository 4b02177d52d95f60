"""Photos not fetched by choice (remote URLs without --allow-remote-images): the row says so, and --resume with the flag
tags those products again, reading their photos; without it they are done."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from output_rows import rows_by_id
from test_photos import COLOURS, draw, photo_index  # noqa: F401  (the module-scoped index with photos)

from tagllm.config import TaggerConfig
from tagllm.models import NOT_FETCHED_NOTE
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[str]:
    """A web server for the shop's photos (a CDN), serving tmp_path/cdn."""
    (tmp_path / "cdn").mkdir()
    draw(tmp_path / "cdn" / "dress.jpg", "dress", COLOURS["color-blue"])
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path / "cdn")))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_resume_with_allow_remote_images_reads_the_photos_an_earlier_run_did_not_fetch(
    photo_index: Path,  # noqa: F811
    demo_taxonomy: Any,
    embedder: Any,
    tmp_path: Path,
    shop: str,
    fmt: str,
) -> None:
    draw(tmp_path / "good.jpg", "dress", COLOURS["color-red"])
    url = f"{shop}/dress.jpg"
    source, target = tmp_path / "products.jsonl", tmp_path / f"tags.{fmt}"
    products = [
        {"id": "remote", "title": "Summer dress", "images": [url]},
        {"id": "good", "title": "Summer dress", "images": ["good.jpg"]},
        {"id": "no-photo", "title": "Summer dress"},
    ]
    source.write_text("".join(json.dumps(p) + "\n" for p in products))
    index = ExampleIndex.load(photo_index)
    local = Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig())
    remote = Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(allow_remote_images=True))

    first = local.tag_file(source, target)
    assert (first.tagged, first.unfetched, first.degraded, first.still_unfetched, first.exit_code) == (3, 1, 0, 1, 0)
    row = rows_by_id(target)["remote"]
    assert row["status"] == "ok"
    if fmt == "jsonl":
        assert row["unfetched_photos"] == [url] and "degraded" not in row
    else:
        assert row["error"] == NOT_FETCHED_NOTE + url

    same = local.tag_file(source, target, resume=True)  # the same settings would skip the photo again
    assert (same.tagged, same.skipped, same.still_unfetched) == (0, 3, 1)

    fetched = remote.tag_file(source, target, resume=True)
    assert (fetched.tagged, fetched.skipped, fetched.retried_degraded, fetched.unfetched, fetched.still_unfetched) == (
        1, 2, 1, 0, 0,
    )  # fmt: skip
    rows = rows_by_id(target)
    assert len(rows) == 3 and rows["remote"]["status"] == "ok"
    if fmt == "jsonl":
        assert "unfetched_photos" not in rows["remote"]
        assert rows["remote"]["provenance"]["images"] == [{"source": url, "status": "ok", "width": 150, "height": 200}]
    else:
        assert not rows["remote"]["error"]

    done = remote.tag_file(source, target, resume=True)
    assert (done.tagged, done.skipped) == (0, 3)
    back = local.tag_file(source, target, resume=True)  # without the flag again: the photo read stays
    assert (back.tagged, back.skipped, back.still_unfetched) == (0, 3, 0)

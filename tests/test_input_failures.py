"""An input that fails part way (a generator whose database cursor dies, a file that cannot be read on): the products
read before the failure are tagged, and written by a file run, before the failure reaches the caller."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tagllm.config import TaggerConfig
from tagllm.io import Record, RecordSource
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

TITLES = ["Blue denim jeans", "Gold plated necklace", "Wireless earbuds", "Red summer dress", "Steel cooking pot"]


@pytest.fixture(scope="module")
def tagger(demo_taxonomy, demo_index_dir, embedder):  # type: ignore[no-untyped-def]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    return Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5, batch_size=2))


def _cursor(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {"id": f"p{i}", "title": TITLES[i % len(TITLES)]}
    raise ConnectionError("server closed the connection unexpectedly")


def test_tag_batches_yields_what_was_read_before_the_input_failed(tagger) -> None:  # type: ignore[no-untyped-def]
    done: list[str] = []
    with pytest.raises(ConnectionError, match="server closed the connection"):
        for results in tagger.tag_batches(_cursor(5)):
            done += [r.product_id for r in results if r.status == "ok"]
    assert done == ["p0", "p1", "p2", "p3", "p4"]


def test_tag_keeps_what_was_read_before_the_input_failed_on_the_exception(tagger) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConnectionError, match="server closed the connection") as raised:
        tagger.tag(_cursor(5))  # the list tag() was building would be lost with the exception
    results = raised.value.tagllm_results  # type: ignore[attr-defined]
    assert [(r.product_id, r.status) for r in results] == [(f"p{i}", "ok") for i in range(5)]
    assert raised.value.__notes__ == ["tagllm: the 5 product(s) tagged before this are in exc.tagllm_results"]


@dataclass(frozen=True)
class FrozenCursorError(Exception):
    """A database driver's error that is a frozen dataclass: it refuses any attribute set on it."""

    code: str


class NoNotesError(ConnectionError):
    """An exception without ``add_note``, as every exception is on Python 3.10."""

    @property
    def add_note(self) -> Any:
        raise AttributeError("add_note")


@pytest.mark.parametrize("failure", [FrozenCursorError("08006"), NoNotesError("server closed the connection")])
def test_tag_raises_the_inputs_own_exception_even_one_that_takes_no_attribute_or_note(  # type: ignore[no-untyped-def]
    tagger, failure
) -> None:
    # the results were set on it as an attribute, with a note: a frozen exception raised FrozenInstanceError, and on
    # Python 3.10 (no add_note) every input failure became AttributeError, the caller's exception lost
    def cursor() -> Iterator[dict[str, Any]]:
        yield {"id": "p0", "title": TITLES[0]}
        raise failure

    with pytest.raises(type(failure)) as raised:
        tagger.tag(cursor())
    assert raised.value is failure
    assert [r.product_id for r in raised.value.tagllm_results] == ["p0"]  # type: ignore[attr-defined]


def test_ctrl_c_in_tag_keeps_what_was_tagged_on_the_interrupt(tagger, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # KeyboardInterrupt is not an Exception: Ctrl-C in a notebook in the last batch lost every result tag() had
    tag_products = tagger._tag_products
    calls: list[int] = []

    def interrupted(products, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(products))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return tag_products(products, *args, **kwargs)

    monkeypatch.setattr(tagger, "_tag_products", interrupted)
    items = [{"id": f"p{i}", "title": TITLES[i % len(TITLES)]} for i in range(6)]
    with pytest.raises(KeyboardInterrupt) as raised:
        tagger.tag(items)
    results = raised.value.tagllm_results  # type: ignore[attr-defined]
    assert [(r.product_id, r.status) for r in results] == [(f"p{i}", "ok") for i in range(4)]
    assert raised.value.__notes__ == ["tagllm: the 4 product(s) tagged before this are in exc.tagllm_results"]


def test_a_file_run_writes_what_was_read_before_the_input_failed(tagger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"id": f"p{i}", "title": TITLES[i]}) + "\n" for i in range(5)))

    class Failing(RecordSource):
        def __iter__(self) -> Iterator[Record]:
            records = super().__iter__()
            for _ in range(3):
                yield next(records)
            raise OSError(5, "Input/output error")

    with pytest.raises(OSError, match="Input/output error"):
        tagger.tag_file(Failing(src), out)
    assert [json.loads(line)["product_id"] for line in out.read_text().splitlines()] == ["p0", "p1", "p2"]
    summary = tagger.tag_file(src, out, resume=True)  # and --resume tags the rest
    assert (summary.tagged, summary.skipped) == (2, 3)

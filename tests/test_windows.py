"""Windows of products, the next one encoding on a worker thread while this one is tagged."""

from __future__ import annotations

import threading

import pytest

from tagllm.config import TaggerConfig
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger
from tagllm.windows import Stopped, growing_windows, one_ahead, stoppable


def test_windows_double_from_the_first_size_up_to_the_ceiling() -> None:
    windows = list(growing_windows(range(30), first=2, most=8))
    assert [(first, len(items)) for first, items in windows] == [(0, 2), (2, 4), (6, 8), (14, 8), (22, 8)]
    assert [i for _, items in windows for i in items] == list(range(30))
    assert list(growing_windows([], first=2, most=8)) == []


def test_the_next_item_is_started_before_this_one_is_handed_out() -> None:
    events: list[str] = []

    def start(item: str) -> str:
        events.append(f"start {item}")
        return item.upper()

    for item, started in one_ahead(["a", "b", "c"], start):
        events.append(f"use {item}{started}")
    assert events == ["start a", "start b", "use aA", "start c", "use bB", "use cC"]


def test_a_stopped_encode_raises_at_its_next_report_and_no_progress_stays_none() -> None:
    stop = threading.Event()
    seen: list[tuple[int, int]] = []
    report = stoppable(lambda done, total: seen.append((done, total)), stop)
    assert report is not None and stoppable(None, stop) is None
    report(1, 4)
    stop.set()
    with pytest.raises(Stopped):
        report(2, 4)
    assert seen == [(1, 4)]


def test_a_run_stopped_early_stops_the_window_encoding_ahead(  # type: ignore[no-untyped-def]
    demo_taxonomy, demo_index_dir, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tagllm.tagger.FIRST_WINDOW", 2)
    monkeypatch.setattr("tagllm.retrieval.embedder.PROGRESS_CHUNK", 1)  # a report after each text
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy)
    tagger = Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5))
    products = [{"id": f"p{i}", "title": f"red cotton t-shirt size {i}"} for i in range(14)]
    gate, outcomes = threading.Event(), []
    encode = embedder.encode

    def recording(texts, **kwargs):  # type: ignore[no-untyped-def]
        try:
            vectors = encode(texts, **kwargs)
        except Stopped:
            outcomes.append(f"{len(texts)} stopped")
            raise
        outcomes.append(f"{len(texts)} encoded")
        return vectors

    monkeypatch.setattr(embedder, "encode", recording)
    # the second window (4 texts) waits at its first report until the run has stopped
    held = lambda done, total: total == 4 and done == 1 and gate.wait(10) and None  # noqa: E731
    batches = tagger.tag_batches(products, batch_size=2, progress=held)
    first = next(batches)  # the first window (2 texts), tagged while the second encodes on the worker thread
    batches.close()  # what run_file does when it stops (Ctrl-C, an error)
    gate.set()
    assert tagger._encode_thread is not None
    tagger._encode_thread.submit(lambda: None).result(timeout=10)  # the worker is done with the second window
    assert [r.product_id for r in first] == ["p0", "p1"]
    assert outcomes == ["2 encoded", "4 stopped"]  # the third window was never started

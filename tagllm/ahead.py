"""One step ahead: the next item's work runs on a background thread while the caller uses the current result.

Tagging a file is two kinds of work per window of products: encoding their texts (ONNX Runtime or PyTorch, native
code that releases the GIL) and retrieving and scoring them (mostly NumPy and Python). Run one after the other,
the cores the encoder leaves idle while a window is scored stay idle; ``ahead`` encodes window k+1 while window k
is scored (``Tagger.tag_batches``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Stopped(Exception):
    """Raised by work that saw its ``stop`` event set: the caller no longer wants its result."""


def check(stop: threading.Event | None) -> None:
    """Raise ``Stopped`` when ``stop`` is set: where long work can give up between two steps."""
    if stop is not None and stop.is_set():
        raise Stopped


def ahead(items: Iterable[T], work: Callable[[T, threading.Event], R]) -> Iterator[R]:
    """``work(item, stop)`` for each item, in order, one item ahead of the caller.

    While the caller holds one result, the next item's work runs on one background thread; nothing runs further
    ahead, so at most two results are alive at once. ``items`` is read on the caller's thread, one item ahead too;
    an error reading it is raised after the result before it was yielded, as reading lazily would. An error in
    ``work`` is raised where its result would have been yielded. When the caller stops early (an error, Ctrl-C,
    closing the iterator), ``stop`` is set and the running work is waited for: long work should ``check(stop)``
    between its steps, so that a stop is not held up by it."""
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagllm-ahead")
    iterator = iter(items)
    try:
        pending = _next(pool, iterator, work, stop)
        while pending is not None:
            result = pending.result()
            pending = _next(pool, iterator, work, stop)
            yield result
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _next(
    pool: ThreadPoolExecutor, iterator: Iterator[T], work: Callable[[T, threading.Event], R], stop: threading.Event
) -> Future[R] | None:
    """The next item's work, started; None after the last item."""
    try:
        item = next(iterator, _END)
    except Exception as exc:  # noqa: BLE001 -- raised by the caller's next step, after the result it has
        failed: Future[R] = Future()
        failed.set_exception(exc)
        return failed
    if item is _END:
        return None
    return pool.submit(work, item, stop)  # type: ignore[arg-type]


_END = object()

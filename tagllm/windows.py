"""Products read in growing windows, the next window's texts encoded on a worker thread while this one is tagged.

Tagging a window is encoding its texts, then retrieving and scoring them. ONNX Runtime runs outside the GIL, so the
next window's encoding can go on beside this one's scoring; the encoder then runs on one thread fewer than the
cores (``OnnxEncoder.sparing_session``), leaving one to the scoring. Each window is still encoded in one call, so
the vectors, and every tag and confidence, are the same: 3,000 Flipkart products through ``Tagger.tag_file`` gave
the same results (latencies aside) and took 48.1 and 48.8 s this way against 56.6 and 55.3 s one window after the
other (alternating in one process, 2 shared cores, load average 7-8)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
S = TypeVar("S")

# The first window of a run is small so its results are out within seconds; windows then double up to a ceiling.
FIRST_WINDOW = 256


def growing_windows(items: Iterable[T], first: int, most: int) -> Iterator[tuple[int, list[T]]]:
    """``items`` in lists of ``first``, then of twice as many each time up to ``most``, each with the position of its
    first item."""
    iterator = iter(items)
    size, seen = min(first, most), 0
    while window := list(itertools.islice(iterator, size)):
        yield seen, window
        seen += len(window)
        size = min(2 * size, most)


def one_ahead(items: Iterable[T], start: Callable[[T], S]) -> Iterator[tuple[T, S]]:
    """``(item, start(item))`` for each item, where ``start`` sets work going in the background: the next item is
    read and started before an item is yielded, so its work runs while the caller works on this one."""
    pending: list[tuple[T, S]] = []
    for item in items:
        pending.append((item, start(item)))
        if len(pending) == 2:
            yield pending.pop(0)
    yield from pending


class Stopped(Exception):
    """Raised inside a background encode whose results nobody will read (the run was stopped)."""


def stoppable(progress: Callable[[int, int], None] | None, stop: threading.Event) -> Callable[[int, int], None] | None:
    """``progress`` that raises ``Stopped`` once ``stop`` is set, so that an encode reporting progress ends at its
    next chunk instead of finishing a window nobody will tag (Ctrl-C would otherwise wait for it at exit). None stays
    None: an encode without progress runs in one call, as it always did."""
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        if stop.is_set():
            raise Stopped
        progress(done, total)

    return report

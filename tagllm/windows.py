"""The products of a run, read and encoded window by window, one window ahead of their tagging.

A window's texts are encoded in one call, which sorts them by length so that they pad little (``ENCODE_WINDOW``).
The first window is small so that its results are out within seconds; windows then double up to ``ENCODE_WINDOW``.
While ``Tagger.tag_batches`` scores one window, the next is encoded on a background thread (``tagllm.ahead``).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tagllm.ahead import ahead
from tagllm.io import as_product
from tagllm.models import Product, RecordError
from tagllm.retrieval.embedder import ENCODE_WINDOW
from tagllm.retrieval.recent import RecentVectors

if TYPE_CHECKING:
    from tagllm.retrieval.image_index import Photos
    from tagllm.scoring import BatchScorer

FIRST_WINDOW = 256


@dataclass
class Window:
    """A window's items as the tagger reads them, the embeddings of its products (in order) and, when photos are read,
    their encoding under way."""

    items: list[Product | RecordError]
    vectors: np.ndarray
    photos: Future[Photos | None] | None = None


def window_sizes(batch_size: int) -> Iterator[int]:
    """FIRST_WINDOW, then twice the last, up to ENCODE_WINDOW (or the batch size, if larger)."""
    size = min(FIRST_WINDOW, max(batch_size, ENCODE_WINDOW))
    while True:
        yield size
        size = min(2 * size, max(batch_size, ENCODE_WINDOW))


def encoded_windows(
    items: Iterable[Product | dict[str, Any] | RecordError],
    retrieval: BatchScorer,
    batch_size: int,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Window]:
    """``items`` window by window, each encoded on a background thread while the caller tags the one before it.

    ``progress(done, total)`` follows the encoding of each window (from that thread). A text repeated in a later
    window is not encoded again (``RecentVectors``)."""
    recent = RecentVectors(retrieval.embedder)

    def encode(window: tuple[int, list[Product | dict[str, Any] | RecordError]], stop: threading.Event) -> Window:
        first, chunk = window
        converted = [retrieval.visible(as_product(item, first + i)) for i, item in enumerate(chunk)]
        products = [p for p in converted if isinstance(p, Product)]
        photos = retrieval.photos_async(products)
        vectors = recent.encode([p.text() for p in products], progress=progress, stop=stop)
        return Window(converted, vectors, photos)

    return ahead(_chunks(iter(items), window_sizes(batch_size)), encode)


def _chunks(iterator: Iterator[Any], sizes: Iterator[int]) -> Iterator[tuple[int, list[Any]]]:
    """(position of its first item, items) per window, of the given sizes."""
    first = 0
    for size in sizes:
        chunk = list(itertools.islice(iterator, size))
        if not chunk:
            return
        yield first, chunk
        first += len(chunk)

"""How an index directory is written without losing what is there: the lock a run holds while it loads, changes
and saves an index (``writing_index``), the folders a save stages its files in and those killed saves left
(``SAVING``), the manifest's stamp that tells whether another run saved since (``manifest_stamp``), and the error a
failed write raises. Kept apart from ``index`` (what the index holds and how it searches) because it is file-system
plumbing that any writer of an index directory shares."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tagllm.cache import STALE_SECONDS
from tagllm.errors import OutputError, os_reason

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


WRITING = ".writing.lock"
"""The file inside an index's directory that a run writing the index holds an advisory lock on (``writing_index``)."""
_held = threading.local()  # the index directories this thread holds the lock of: a save inside an add takes it again


@contextlib.contextmanager
def writing_index(directory: str | Path, *, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index in ``directory`` for writing (a directory not there yet holds nothing to lose): a run that
    reads the index, changes it and saves it (``tagllm index add``) holds it from before it loads until it has saved,
    so another run waits for it and then reads what it saved (two adds at once each saved the index as it loaded it,
    one's examples lost). A run that finds it held calls ``waiting`` with a message naming the index, then waits.
    The lock is ``flock`` on a file in the directory, released by the kernel however the process ends; where
    ``fcntl`` is missing (Windows), index writes are not serialised. The same thread may hold it again inside
    (``save`` in an add)."""
    path = Path(directory)
    held: set[str] = _held.__dict__.setdefault("paths", set())
    key = os.path.abspath(path)
    if fcntl is None or key in held or not path.is_dir():
        yield
        return
    try:
        fh = (path / WRITING).open("a+b")
    except OSError as exc:
        raise not_written(path, exc) from None
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting(f"{path}: another tagllm run is writing this index; waiting for it to end (Ctrl-C stops)")
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        fh.close()  # the lock goes with it; the file stays, so no run ever locks a file another has just removed


SAVING = ".saving-"
"""The folder inside an index's directory that a save writes its files into, then moves them out of."""


def sweep_saves(directory: Path) -> None:
    """Remove the folders that saves killed part way left in ``directory`` (each as large as the index): those of
    this version older than ``STALE_SECONDS`` (a save takes seconds; a recent one is another run's, saving now),
    and the one folder older versions all saved in."""
    cutoff = time.time() - STALE_SECONDS
    for leftover in directory.glob(".saving*"):
        with contextlib.suppress(OSError):
            if leftover.is_dir() and (leftover.name == ".saving" or leftover.stat().st_mtime < cutoff):
                shutil.rmtree(leftover, ignore_errors=True)


def manifest_stamp(directory: Path) -> tuple[int, int, int] | None:
    """What changes when a save moves its manifest into ``directory``: its inode, size and modification time."""
    try:
        found = os.stat(directory / "manifest.json")
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def not_written(path: Path, exc: OSError) -> OutputError:
    """The error of a write into the index at ``path`` that failed: what the system said, and that nothing was lost."""
    return OutputError(
        f"{path}: the index could not be written ({os_reason(exc)}); the index there, if any, is as it was: "
        "free some space, or write it elsewhere"
    )

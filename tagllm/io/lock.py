"""An output file is locked so that one run at a time writes it
(two runs would interleave rows, truncate each other's or merge away each other's Parquet parts). A resume reads the
output under the lock too, and refuses to write from that reading when another run wrote the output since.

The lock is ``flock`` on a hidden file beside the output (``.OUT.lock``), which the kernel releases when the process
ends however it ends, so a killed run never leaves an output locked. Where ``fcntl`` is missing (Windows), outputs
are not locked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from tagllm.errors import OutputError, os_reason
from tagllm.io.resume import OutputState, part_files, scan_output

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


class OutputLock:
    """Held while a run writes ``target``; ``release`` removes the lock file. ``held=False``: a lock that does
    nothing, for an output that is a device or pipe, beside which nothing is written."""

    def __init__(self, target: Path, *, held: bool = True) -> None:
        self.target = target
        self.path = lock_path(target)
        self.held = held
        self._file: IO[bytes] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise ``OutputError`` naming the run that holds it."""
        if fcntl is None or self._file is not None or not self.held:
            return
        while True:
            try:
                fh = self.path.open("a+b")
            except OSError as exc:  # where the permission bits allow it but the system refuses (/proc, a full disk)
                raise OutputError(
                    f"{self.target}: cannot write beside it ({os_reason(exc)}, creating {self.path.name}); "
                    "write it elsewhere"
                ) from None
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().decode("utf-8", errors="replace").strip() or "?"
                fh.close()
                raise OutputError(
                    f"{self.target}: another tagllm run (process {holder}) is writing this output; wait for it to "
                    "end (then --resume goes on from what it wrote), or write to another file"
                ) from None
            # the file locked is still the one at the path: a run that released it may have removed it meanwhile
            try:
                if os.stat(self.path).st_ino == os.fstat(fh.fileno()).st_ino:
                    break
            except FileNotFoundError:
                pass
            fh.close()
        try:  # unbuffered: a buffer the disk refused would be written again, and refused again, at close
            os.ftruncate(fh.fileno(), 0)
            pid = str(os.getpid()).encode()
            while pid:
                pid = pid[os.write(fh.fileno(), pid) :]  # a short write, then the error
        except OSError as exc:  # a full disk: run again with --resume before making room failed here with a traceback
            self.path.unlink(missing_ok=True)
            fh.close()
            raise OutputError(
                f"{self.target}: cannot write beside it ({os_reason(exc)}, writing {self.path.name}); make room, "
                "or write it elsewhere"
            ) from None
        self._file = fh

    def check(self) -> None:
        """Raise ``OutputError`` if another run holds the lock, holding nothing: a run that would be refused at its
        first write is refused before it loads a model."""
        if self._file is None and self.target.parent.is_dir():
            self.acquire()
            self.release()

    def release(self) -> None:
        if self._file is None:
            return
        self.path.unlink(missing_ok=True)  # removed while still held, so no run can lock a file about to go
        self._file.close()
        self._file = None


def scan_locked(target: Path, fmt: str, lock: OutputLock) -> tuple[OutputState, tuple[Any, ...]]:
    """What an earlier run wrote, read under the lock, and the output's ``signature`` then: a run still writing the
    output refuses this one here, before any model loads, and never has the half-written copy of its compaction
    removed by this scan. Another run may still write the output before this one opens it: the signature tells."""
    locked = target.parent.is_dir()
    if locked:
        lock.acquire()
    try:
        return scan_output(target, fmt), signature(target, fmt)
    finally:
        if locked:
            lock.release()


def signature(target: Path, fmt: str) -> tuple[Any, ...]:
    """Changes when a run writes the output: its file (replaced by a compaction, or grown) and Parquet's parts."""
    try:
        found = os.stat(target)
        file: tuple[int, int, int] | None = (found.st_ino, found.st_size, found.st_mtime_ns)
    except FileNotFoundError:
        file = None
    return file, [part.name for part in part_files(target)] if fmt == "parquet" else []

"""The on-disk cache for derived data (label embeddings, mapping tables): safe to delete at any time."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

# What reading a cache file raises when a killed run, a full disk or a person left it damaged: cut short (EOFError,
# a zip without its directory), garbage or another format (ValueError, KeyError), a directory or an unreadable file
# in its place (OSError).
DAMAGED = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile)


def cache_dir() -> Path:
    """``$TAGLLM_CACHE_DIR``, else ``~/.cache/tagllm``; created on first use. A place that cannot be a directory (a
    file, a path under one, /proc) is a setup mistake, said before the first product: it was a crash's traceback."""
    given = os.environ.get("TAGLLM_CACHE_DIR")
    path = Path(given or Path.home() / ".cache" / "tagllm")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "is a file, not a directory" if path.exists() else f"cannot be created ({exc.strerror})"
        source = "TAGLLM_CACHE_DIR" if given else "the cache directory"
        raise ConfigError(f"{source} {path} {why}; set TAGLLM_CACHE_DIR to a directory tagllm can write") from None
    return path


def cache_key(*parts: str) -> str:
    """A short file-name-safe key for a tuple of strings (taxonomy version, facet, embedder…)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


TEMP_PREFIX = ".tagllm-tmp-"
"""The name a cache file is written under before it is renamed into place (``atomic_write``)."""
STALE_SECONDS = 3600
"""A temporary file untouched this long is a killed writer's: a cache file is written in seconds."""
OLD_TEMP_NAME = re.compile(r"tmp[a-z0-9_]{8}\.(json|npy|npz)")
"""The name versions before ``TEMP_PREFIX`` wrote under (mkstemp's default: tmp, eight random characters, the cache
file's suffix); their killed writers' files are swept too."""


def atomic_write(path: Path, write: Any, suffix: str) -> None:
    """Write via a temporary file and rename, so a crashed or concurrent run never leaves half a cache file; the
    temporary files that killed writers left in that directory are swept first (``sweep_temporaries``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        shareable(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def shareable(path: Path) -> None:
    """Give a file or directory that ``mkstemp`` or ``mkdtemp`` made (0600, 0700: for this user alone) the permissions
    the umask gives one made otherwise: a cache directory a team shares (TAGLLM_CACHE_DIR) held files no one else could
    read, and another user's run failed on them ('left no model', 'Permission denied')."""
    path.chmod((0o777 if path.is_dir() else 0o666) & ~_umask())


def _umask() -> int:
    """This process's umask, read where Linux shows it (setting it to read it back is not safe with other threads)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def sweep_temporaries(parent: Path) -> None:
    """Remove the temporary files that a writer killed mid-write left in ``parent`` (SIGKILL, a power cut: its cleanup
    never ran), each as large as the file it was writing (the label embeddings of Shopify's categories are some 16
    MB); one that another process is writing now is recent, and kept."""
    cutoff = time.time() - STALE_SECONDS
    old_style = (path for path in parent.glob("tmp*") if OLD_TEMP_NAME.fullmatch(path.name))
    for leftover in [*parent.glob(TEMP_PREFIX + "*"), *old_style]:
        with contextlib.suppress(OSError):
            if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def load_array(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    """The array cached at ``path`` when it is whole and of ``shape``; None when there is none, or it is damaged or of
    another shape (another model's vectors under the same name): the caller computes it again and overwrites it."""
    import numpy as np

    try:
        array = np.load(path, allow_pickle=False)
    except DAMAGED:
        return None
    return array if isinstance(array, np.ndarray) and array.shape == shape else None


def save_cache(path: Path, write: Any, suffix: str) -> None:
    """``atomic_write`` for a file of this cache: one that cannot be written (a read-only cache, a directory in its
    place) only costs computing it again next time."""
    with contextlib.suppress(OSError):
        atomic_write(path, write, suffix)

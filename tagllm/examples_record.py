"""What an index built from an examples file records of it — the file's SHA-256, and each photo file its examples
name with its size and modification time (``PHOTO_FILES``) — and the refusal of an index whose examples or photos
were edited after it was built: it holds them as they were, and a run would never read the corrections."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError, IndexMismatchError
from tagllm.models import LabelledProduct
from tagllm.retrieval.index import ExampleIndex

PHOTO_FILES = "example_photos.json"
"""Beside an index built from an examples file: each photo file its examples name, with its size and modification
time as they were built (null for one not there): a photo edited in place changes neither the examples' bytes nor
their paths."""


def file_digest(path: Path) -> str | None:
    """The SHA-256 of a regular file's bytes; None for anything else: a missing file (said when it is read) or a
    pipe (read once, by the reader)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    except OSError:
        return None


def refuse_edited_examples(config: TaggerConfig, index: ExampleIndex) -> None:
    """Refuse an index built from ``config.examples`` when that file was edited since: a config naming both built the
    index at the first run and loaded it at every run after, the examples' corrections never read, without a word."""
    built_from = index.manifest.get("examples")
    if not config.examples or not isinstance(built_from, dict):  # an index built before the manifest recorded it
        return
    examples = Path(config.examples)
    if not examples.is_file() or str(examples.resolve()) != built_from.get("file"):
        return
    build_again = (
        f"build it again: tagllm index build {examples} --index {index.path} (and add again what tagllm index add "
        "added since), or leave examples out of the settings to use the index as it is"
    )
    if file_digest(examples) != built_from.get("sha256"):
        raise ConfigError(
            f"the examples {examples} were edited after the index {index.path} was built from them "
            f"({index.manifest.get('created')}), and it holds them as they were; {build_again}"
        )
    if edited := edited_photos(index):
        shown = ", ".join(edited[:3]) + (f", … ({len(edited) - 3} more)" if len(edited) > 3 else "")
        raise ConfigError(
            f"{len(edited)} photo(s) of the examples {examples} were edited, added or removed after the index "
            f"{index.path} was built from them ({shown}), and it holds their vectors as they were; {build_again}"
        )


def photo_stamps(examples: Sequence[LabelledProduct], loader: Any) -> dict[str, list[int] | None]:
    """Each photo file on this machine the ``examples`` name (as ``loader`` finds it), with its ``_stamp``."""
    stamps: dict[str, list[int] | None] = {}
    for example in examples:
        for reference in example.images:
            path = loader.local_file(reference)
            if path is not None and (name := os.path.abspath(path)) not in stamps:
                stamps[name] = _stamp(Path(name))
    return stamps


def _stamp(path: Path) -> list[int] | None:
    """A file's size and modification time (ns): cheap to read for every photo at every run; None for no file."""
    try:
        status = path.stat()
    except OSError:
        return None
    return [status.st_size, status.st_mtime_ns]


def edited_photos(index: ExampleIndex) -> list[str]:
    """The photo files named by the examples ``index`` was built from that changed since (``PHOTO_FILES``)."""
    built_from = index.manifest.get("examples")
    if index.path is None or not isinstance(built_from, dict) or not built_from.get("photos"):
        return []
    stamps = _read_photo_record(index)
    return [name for name, stamp in stamps.items() if _stamp(Path(name)) != stamp]


def _read_photo_record(index: ExampleIndex) -> dict[str, Any]:
    try:
        stamps = json.loads(Path(str(index.path), PHOTO_FILES).read_text(encoding="utf-8"))
        if not isinstance(stamps, dict):
            raise ValueError("not a table of photo files")
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(
            f"{index.path}: its {PHOTO_FILES} cannot be read ({exc}); rebuild it: tagllm index build EXAMPLES "
            f"--index {index.path}"
        ) from None
    return stamps


def photos_after_add(
    index: ExampleIndex,
    before: Sequence[LabelledProduct],
    stamps: dict[str, list[int] | None],
    loader: Any,
    kept_photos: Collection[str] = (),
) -> dict[str, list[int] | None] | None:
    """The ``PHOTO_FILES`` record of ``index`` once ``index.add`` changed its examples (``before``, the ones it had):
    the photos of the examples it kept, as recorded when it was built, and those of the examples added or replaced
    (found by ``loader``), with the ``stamps`` taken before they were read; its count goes in the manifest. None for
    an index that records none. The record kept the photos of replaced examples, so editing one refused the index
    though it no longer used it, and editing an added example's photo went unsaid. A replaced example whose review
    gave no photo keeps the one it had (``kept_photos``: their ids), found where the index was built from: looked for
    beside the review, it was recorded as missing, and editing it went unsaid."""
    built_from = index.manifest.get("examples")
    if index.path is None or not isinstance(built_from, dict) or not built_from.get("photos"):
        return None
    from tagllm.images import ImageLoader

    recorded = _read_photo_record(index)
    build_root = built_from.get("photo_root") or str(Path(built_from.get("file", ".")).parent)
    kept = {id(e) for e in before}  # ``add`` puts a replacing example in its place, a new one at the end
    kept_examples = [e for e in index.examples if id(e) in kept or e.id in kept_photos]
    changed = [e for e in index.examples if id(e) not in kept and e.id not in kept_photos]
    record = {
        name: recorded.get(name, _stamp(Path(name)))
        for name in photo_stamps(kept_examples, ImageLoader(root=build_root))
    }
    for name in photo_stamps(changed, loader):
        record.setdefault(name, stamps.get(name, _stamp(Path(name))))
    built_from["photos"] = len(record)
    return record


def write_photo_record(directory: Path, record: dict[str, list[int] | None] | None) -> None:
    """Write ``record`` as ``PHOTO_FILES`` in ``directory``, if there is one."""
    if record:
        (directory / PHOTO_FILES).write_text(json.dumps(record, indent=0) + "\n", encoding="utf-8")

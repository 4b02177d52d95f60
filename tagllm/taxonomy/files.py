"""Reading an analyst's taxonomy files: UTF-8 text, JSONL, YAML/JSON, with errors that say the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from tagllm.errors import TaxonomyError

Stamp = tuple[int, int] | None
"""A file's modification time (ns) and size, None where it is not there: whether it changed since it was read."""

_READ: ContextVar[list[tuple[Path, Stamp]] | None] = ContextVar("taxonomy_files_read", default=None)


def stamp(path: Path) -> Stamp:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


@contextmanager
def recording() -> Iterator[list[tuple[Path, Stamp]]]:
    """The files ``read_text`` reads inside it, each with its stamp from before it was read: a taxonomy's synonym
    files, the JSONL files of a taxonomy directory, on which a loaded taxonomy depends as on its own file."""
    files: list[tuple[Path, Stamp]] = []
    token = _READ.set(files)
    try:
        yield files
    finally:
        _READ.reset(token)


def read_text(path: Path) -> str:
    files = _READ.get()
    if files is not None:
        files.append((path, stamp(path)))
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(f"{path}: not UTF-8 text (byte {exc.start}); re-save it as UTF-8") from None
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read: {exc.strerror}") from None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for _, item in numbered_jsonl(path):
        yield item


def numbered_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """Each non-blank line's number and its JSON value."""
    for lineno, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaxonomyError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None


def read_structured(path: Path) -> Any:
    text = read_text(path)
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text)
    except (json.JSONDecodeError, Exception) as exc:  # yaml.YAMLError has no stable import path when lazy
        raise TaxonomyError(f"{path}: cannot parse: {exc}") from None

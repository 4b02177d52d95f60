"""Reading an analyst's taxonomy files: UTF-8 text, JSONL, YAML/JSON, with errors that say the file and line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
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


class _TwiceGiven(Exception):
    """A key given twice in one mapping, and the lines (1-based; None in JSON) of its two places."""

    def __init__(self, key: Any, first: int | None = None, again: int | None = None) -> None:
        super().__init__(key)
        self.key, self.first, self.again = key, first, again


def read_structured(path: Path) -> Any:
    """A YAML or JSON file's content; a key given twice in one mapping is refused: YAML and JSON readers keep its last
    value and drop the first unsaid (a second ``facets:`` appended to a taxonomy lost every facet above it, a synonym
    file keying ``navy`` twice the first list)."""
    text = read_text(path)
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text, object_pairs_hook=_unique_pairs)
        return _load_yaml(text)
    except _TwiceGiven as twice:
        where = f"{path}:{twice.again}" if twice.again else str(path)
        first = f" (first on line {twice.first})" if twice.first else ""
        mapping = "mapping" if twice.again else "object"
        raise TaxonomyError(
            f"{where}: {twice.key!r} is given twice in one {mapping}{first}; a reader keeps the last and drops the "
            "first without a word: merge the two into one"
        ) from None
    except (json.JSONDecodeError, Exception) as exc:  # yaml.YAMLError has no stable import path when lazy
        from tagllm.yaml_files import yaml_problem

        raise TaxonomyError(yaml_problem(path, exc, text)) from None


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _TwiceGiven(key)
        out[key] = value
    return out


def _load_yaml(text: str) -> Any:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # a merge (<<: *defaults) may be overridden: that is what it is for
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _TwiceGiven(key, seen[key], line)
                seen[key] = line
            return super().construct_mapping(node, deep)

    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader: no Python objects


def written_text(path: Path) -> Callable[[tuple[Any, ...]], str | None]:
    """The text a YAML file writes at a place (('facets', 0, 'values', 1, 'name') -> '16:9'): what YAML read as a
    number (16:9 as 969, 3.10 as 3.1) was said back as the number, and the analyst told to quote '969'."""
    import yaml

    try:
        root = yaml.compose(path.read_text(encoding="utf-8-sig")) if path.suffix.lower() != ".json" else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        root = None

    def at(loc: tuple[Any, ...]) -> str | None:
        node = root
        for step in loc:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
            else:
                return None
        return node.value if isinstance(node, yaml.ScalarNode) else None

    return at

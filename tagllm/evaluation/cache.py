"""The prediction cache: keys from what a prediction depends on (settings, files, tagllm's code), JSONL per variant."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError
from tagllm.models import TagResult
from tagllm.taxonomy import Taxonomy

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: appends are not locked
    fcntl = None  # type: ignore[assignment]

# Settings that change how fast a run goes but never what it predicts: they stay out of the cache key.
_NOT_IN_CACHE_KEY = ("batch_size", "device")


def _file_digest(spec: str | Path | None, pattern: str = "*") -> str | None:
    """The content hash of a file, or of the files matching ``pattern`` under a directory (with their names)."""
    if not spec:
        return None
    path = Path(spec)
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.rglob(pattern) if p.is_file()):
            digest.update(str(child.relative_to(path)).encode())
            digest.update(hashlib.sha256(child.read_bytes()).digest())
        return digest.hexdigest()[:16]
    return None


def template_digest(prompt: str | Path) -> str | None:
    """The content hash of a prompt template and of the templates it extends or includes, so editing one template
    (or an include only some templates share) invalidates only the variants that render it."""
    from tagllm.prompts import prompt_hash

    try:
        return prompt_hash(prompt)
    except ConfigError:
        return None


def attribute_template_digest(config: TaggerConfig) -> str | None:
    """The content hash of the attribute step's template (two_step), when there is one of its own."""
    from tagllm.llm_steps import attribute_prompt_path
    from tagllm.prompts import resolve_prompt_path

    try:
        path = attribute_prompt_path(resolve_prompt_path(config.prompt), config.attribute_prompt)
    except ConfigError:
        return None
    return template_digest(path) if path is not None else None


@functools.cache
def code_digest() -> str:
    """The content hash of tagllm's own source and of the data it tags with (the zero-example stacker's weights, the
    compound and colour tables): a new scorer, mapper or table must not be credited with old predictions. Only the
    .py files were hashed, and predictions made before a table changed were reused as the new code's. Compiled files
    and the report templates, which change no prediction, are left out."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for child in sorted(package.rglob("*")):
        if not child.is_file() or "__pycache__" in child.parts or child.suffix in (".pyc", ".j2"):
            continue
        digest.update(str(child.relative_to(package)).encode())
        digest.update(hashlib.sha256(child.read_bytes()).digest())
    return digest.hexdigest()[:16]


def variant_key(config: TaggerConfig, taxonomy: Taxonomy, hide_fields: Sequence[str]) -> str:
    """What a prediction depends on: settings, file contents (taxonomy, examples, index, template), tagllm's code."""
    settings = {k: v for k, v in config.model_dump().items() if k not in _NOT_IN_CACHE_KEY}
    parts = {
        "code": code_digest(),
        "settings": settings,
        "taxonomy": taxonomy.version,
        "examples": _file_digest(config.examples),
        "index": _file_digest(config.index),
        "template": template_digest(config.prompt),
        "attribute_template": attribute_template_digest(config),
        "hide": sorted(hide_fields),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def product_key(record: dict[str, Any], image_root: Path | None = None) -> str:
    """What a product's prediction depends on: its record and the contents of the local photos it names (relative
    paths from ``image_root``). A photo replaced under the same path was credited with the old photo's prediction."""
    photos = photo_digests(record, image_root)
    # surrogatepass: half a surrogate pair (a JSON "\ud83d", an emoji cut short) crashed the run here
    text = json.dumps([record, photos] if photos else record, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def photo_digests(record: dict[str, Any], image_root: Path | None) -> dict[str, str | None]:
    """The content hash of each local photo a record names, by reference (None: no such file yet); URLs are left
    out (a run never fetches one only to key it), and so is an images field that cannot be read (the product is an
    error record, never cached)."""
    from tagllm.image_refs import image_references
    from tagllm.images import ImageLoader

    try:
        references = image_references(record.get("images"))
    except (ValueError, TypeError):  # ImageFieldError is a ValueError
        return {}
    loader = ImageLoader(root=image_root)
    digests: dict[str, str | None] = {}
    for reference in references:
        path = loader.local_file(reference)
        if path is None:
            continue
        try:
            digests[reference] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        except (OSError, ValueError):  # missing, a folder, unreadable, a NUL in the path: read as such when tagged
            digests[reference] = None
    return digests


class PredictionCache:
    """Per-variant JSONL of results keyed by product content, appended as products are tagged."""

    def __init__(self, directory: Path, key: str):
        self.path = directory / f"{key}.jsonl"
        self.entries: dict[str, dict[str, Any]] = {}
        data = self.path.read_bytes() if self.path.exists() else b""
        # a line cut short by an interrupted run (in the middle of a character, too: not UTF-8) is skipped: that
        # product is simply tagged again, its entry written on a line of its own (see ``put``)
        for line in data.splitlines():
            try:
                entry = json.loads(line)
                self.entries[entry["key"]] = entry
            except (ValueError, KeyError, TypeError):
                continue

    def get(self, key: str) -> tuple[TagResult, float] | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        return TagResult.model_validate(entry["result"]), float(entry.get("seconds", 0.0))

    def put(self, items: list[tuple[str, TagResult, float]]) -> None:
        """Append the entries, under a lock on the file: two eval runs of one variant (two terminals, two jobs)
        share its file. A run that read it while the other's line was half written took that line for one an
        interrupted run had cut, and ended it with a line break of its own: the other's entry was lost."""
        lines = []
        for key, result, seconds in items:
            entry = {"key": key, "result": result.model_dump(mode="json"), "seconds": seconds}
            self.entries[key] = entry
            lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as fh:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # released when the file closes
            fh.seek(0, os.SEEK_END)
            if fh.tell():
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":  # torn by a run that was stopped while writing it
                    lines.insert(0, "\n")
            fh.write("".join(lines).encode("utf-8"))

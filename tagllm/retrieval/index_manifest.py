"""What an example index's manifest records of how it was built, and the refusals it grounds: an index answers only
the taxonomy, the embedder and the tagllm format it was built with (kept apart from ``tagllm.retrieval.index``, which
holds the examples and searches them, so that what an index must match reads in one place)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from tagllm.errors import IndexMismatchError
from tagllm.images import PHOTO_READING
from tagllm.retrieval import identity
from tagllm.retrieval.embedder import Embedder, recorded_name
from tagllm.taxonomy import Taxonomy

# 2: words hashed apart from char n-grams; 3: hashing vectorised; 4: brand not repeated in text; 5: photo vectors
FORMAT_VERSION = 5
# The embedder's identity beside its name (a directory): its vector of this text, sketched (tagllm.retrieval.identity)
PROBE_TEXT = "Men's slim fit cotton shirt, navy blue"
# An embedder's name ends in its encoder when that is not PyTorch (all-MiniLM-L6-v2+onnx-int8-v3): int8 vectors differ
# slightly from PyTorch's, enough to move neighbours, so an index answers only queries encoded the way it was built.
_MISMATCH_FIX = (
    "rebuild the index (tagllm index build) or use that embedder (embedder_backend: torch for a name without "
    "'+onnx', onnx for '+onnx-int8-v3', onnx-fp32 for '+onnx-fp32', openvino for '+openvino')"
)


def new_manifest(embedder: Embedder, vectors: np.ndarray, taxonomy: Taxonomy, facets: list[str]) -> dict[str, Any]:
    """The manifest of an index just built: its examples' text ``vectors`` by ``embedder``, labelled in ``facets``
    of ``taxonomy``."""
    return {
        "format": FORMAT_VERSION,
        "embedder": embedder.name,
        "dim": int(vectors.shape[1]),
        "probe": probe(embedder),
        "taxonomy": taxonomy.name,
        "taxonomy_version": taxonomy.version,
        "label_facets": facets,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def probe(embedder: Embedder) -> list[float]:
    """The embedder's identity beside its name: its vector of ``PROBE_TEXT``, sketched."""
    return identity.sketch(embedder.encode([PROBE_TEXT])[0])


def rebuild_hint(path: Path) -> str:
    return f"rebuild it: tagllm index build EXAMPLES --index {path}"


def _other_taxonomy(where: str, manifest: dict[str, Any], taxonomy: Taxonomy) -> str:
    return (
        f"{where}: built for taxonomy {manifest['taxonomy']!r} version {manifest['taxonomy_version']}, but the "
        f"taxonomy in use is {taxonomy.name!r} version {taxonomy.version}; rebuild the index (tagllm index build) or "
        "use the taxonomy it was built with"
    )


def read_manifest(path: Path, taxonomy: Taxonomy | None, embedder: str | Embedder | None) -> dict[str, Any]:
    """The manifest of the index in ``path``, refused when it is missing, unreadable, of another format, of photos
    encoded before they were turned upright, or built for a taxonomy or an embedder other than the ones given. An
    ``Embedder`` left to pick its backend takes the index's (``Embedder.adopt``)."""
    manifest_path = path / "manifest.json"
    if not manifest_path.exists():
        raise IndexMismatchError(
            f"{path}: not an example index (no manifest.json); "
            f"build one with: tagllm index build EXAMPLES --index {path}"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # a build cut off while writing it, or another program's file
        raise IndexMismatchError(f"{path}: its manifest.json cannot be read ({exc}); {rebuild_hint(path)}") from None
    if not isinstance(manifest, dict):
        raise IndexMismatchError(f"{path}: its manifest.json is no index manifest; {rebuild_hint(path)}")
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{path}: index format {manifest.get('format')} is not {FORMAT_VERSION} (made by another tagllm "
            f"version); {rebuild_hint(path)}"
        )
    if isinstance(manifest.get("images"), dict) and manifest["images"].get("reading", 1) != PHOTO_READING:
        # built before photos were turned upright: a phone photo stored on its side was encoded sideways, and it
        # loaded as if nothing had changed
        raise IndexMismatchError(
            f"{path}: its examples' photos were encoded as stored, before tagllm turned a photo upright as its "
            f"EXIF orientation says, so their vectors are not comparable to the products' photos; {rebuild_hint(path)}"
        )
    if taxonomy is not None and manifest["taxonomy_version"] != taxonomy.version:
        raise IndexMismatchError(_other_taxonomy(str(path), manifest, taxonomy))
    # an index built before with a relative model directory: the name that directory has from here, as now recorded
    manifest["embedder"] = recorded_name(manifest["embedder"])
    if isinstance(embedder, Embedder):
        embedder.adopt(manifest["embedder"])
        embedder = embedder.name
    if embedder is not None and manifest["embedder"] != embedder:
        raise IndexMismatchError(
            f"{path}: built with embedder {manifest['embedder']!r}, but the embedder in use is {embedder!r}; "
            f"its vectors are not comparable: {_MISMATCH_FIX}"
        )
    return manifest


def check_taxonomy(manifest: dict[str, Any], taxonomy: Taxonomy, where: str) -> None:
    """Refuse a taxonomy other than the one of the index at ``where``: its examples' labels are that taxonomy's ids."""
    if manifest["taxonomy_version"] != taxonomy.version:
        raise IndexMismatchError(_other_taxonomy(where, manifest, taxonomy))


def check_embedder(manifest: dict[str, Any], embedder: str | Embedder, where: str) -> None:
    """Refuse an embedder other than the one of the index at ``where`` (an ``Embedder`` on ``auto`` first takes the
    index's); an ``Embedder`` of the index's name is loaded, and refused when its vectors are not of the index's width:
    its model directory now holds another model (tagging crashed in a matrix product at the first product)."""
    model = embedder if isinstance(embedder, Embedder) else None
    if model is not None:
        model.adopt(manifest["embedder"])
        embedder = model.name
    if manifest["embedder"] != embedder:
        raise IndexMismatchError(
            f"index built with embedder {manifest['embedder']!r}, not {embedder!r}; {_MISMATCH_FIX}"
        )
    if model is not None and manifest.get("dim") not in (None, model.dim):
        raise IndexMismatchError(
            f"{where}: built with embedder {embedder!r}, whose vectors had {manifest['dim']} dimensions; that "
            f"directory now holds a model of {model.dim}: put back the model the index was built with, or rebuild "
            "the index (tagllm index build)"
        )
    recorded = manifest.get("probe")  # none in an index built before it was recorded
    if model is not None and recorded and not identity.same_model(recorded, probe(model)):
        raise IndexMismatchError(
            f"{where}: built with embedder {embedder!r}; that directory now holds another model of the same width "
            "(its vector of a test text is not the one recorded): put back the model the index was built with, or "
            "rebuild the index (tagllm index build)"
        )

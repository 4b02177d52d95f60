"""``load_taxonomy``: find a taxonomy by name or path, tell its format, load it once per version of the file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tagllm.errors import TaxonomyError
from tagllm.taxonomy.files import Stamp, read_text, recording, stamp
from tagllm.taxonomy.model import Taxonomy
from tagllm.taxonomy.own import load_own
from tagllm.taxonomy.shopify import load_shopify
from tagllm.taxonomy.trees import GOOGLE_LINE, load_google, load_paths

REPO_TAXONOMY_DIR = Path(__file__).resolve().parents[2] / "taxonomy"
OWN_SUFFIXES = (".yaml", ".yml", ".json")  # the own format's files, as ``save_own`` writes them


def taxonomy_dirs() -> list[Path]:
    """Where named taxonomies are looked up: $TAGLLM_TAXONOMY_DIR, ./taxonomy, then the repository's taxonomy/."""
    dirs = [Path(p) for p in os.environ.get("TAGLLM_TAXONOMY_DIR", "").split(os.pathsep) if p]
    return [*dirs, Path.cwd() / "taxonomy", REPO_TAXONOMY_DIR]


def resolve_taxonomy_path(spec: str | Path) -> Path:
    path = Path(spec)
    if path.exists():
        return path
    if path.parent == Path(".") and not path.suffix:
        for directory in taxonomy_dirs():
            # .yml too: `taxonomy build -o taxonomy/shop.yml` writes one, and `-t shop` was then "unknown taxonomy"
            for candidate in (directory / str(spec), *(directory / f"{spec}{ext}" for ext in OWN_SUFFIXES)):
                if candidate.exists():
                    return candidate
    dirs = list(dict.fromkeys(d.resolve() for d in taxonomy_dirs()))  # ./taxonomy is the repo's when run there
    known = sorted({name for d in dirs if d.is_dir() for name in _taxonomy_names(d)})
    raise TaxonomyError(
        f"unknown taxonomy {str(spec)!r}: not a file, and no taxonomy of that name in "
        f"{', '.join(map(str, dirs))}" + (f" (known: {', '.join(known)})" if known else "")
    )


def _taxonomy_names(directory: Path) -> list[str]:
    """Names a taxonomy directory offers: its YAML/JSON taxonomies (not synonym files) and taxonomy folders."""
    names = []
    for path in directory.iterdir():
        if path.is_dir() and (path / "categories.jsonl").exists():
            names.append(path.name)
        elif path.suffix in OWN_SUFFIXES and not path.stem.endswith("synonyms"):
            names.append(path.stem)
    return names


_CACHE: dict[str, tuple[list[tuple[Path, Stamp]], Taxonomy]] = {}
"""Loaded taxonomies by path and format, with the files each was read from (its synonym files, a directory's files)
and their stamps then: an edit of any of them loads it again (a synonym file edited in a notebook was not read)."""


def load_taxonomy(spec: str | Path, *, format: str | None = None) -> Taxonomy:
    """Load a taxonomy from a file, a directory or a name ('demo', 'shopify').

    ``format`` is one of own, shopify, google, paths; by default it is told from the file.
    """
    path = resolve_taxonomy_path(spec)
    key = f"{path.resolve()}:{format}"
    cached = _CACHE.get(key)
    if cached is not None and all(stamp(file) == then for file, then in cached[0]):
        return cached[1]
    before = stamp(path)  # a directory's changes when a file is added to it or removed
    fmt = format or _detect_format(path)
    loaders: dict[str, Callable[[Path], Taxonomy]] = {
        "own": load_own,
        "shopify": load_shopify,
        "google": load_google,
        "paths": _load_path_list,
    }
    if fmt not in loaders:
        raise TaxonomyError(f"unknown taxonomy format {fmt!r}; use one of: {', '.join(loaders)}")
    with recording() as files:
        taxonomy = loaders[fmt](path)
    _CACHE[key] = ([(path, before), *files], taxonomy)
    return taxonomy


def _load_path_list(path: Path) -> Taxonomy:
    """A path list, or a directory holding one as ``categories.jsonl`` (``-t eval/data/flipkart``: it was told to be a
    path list, then read as a file and refused, "cannot read: Is a directory")."""
    return load_paths(path / "categories.jsonl" if path.is_dir() else path)


def _detect_format(path: Path) -> str:
    if path.is_dir():
        if (path / "categories.jsonl").exists() and (path / "attributes.jsonl").exists():
            return "shopify"
        if (path / "categories.jsonl").exists():
            return "paths"
        raise TaxonomyError(f"{path}: a taxonomy directory needs categories.jsonl (and attributes.jsonl for Shopify)")
    suffix = path.suffix.lower()  # SHOP.YAML, as Windows tools name files: read, and written, as shop.yaml
    if suffix in OWN_SUFFIXES:
        return "own"
    if suffix == ".txt":
        first = next((ln for ln in read_text(path).splitlines() if ln.strip() and not ln.startswith("#")), "")
        return "google" if GOOGLE_LINE.match(first) else "paths"
    if suffix == ".jsonl":
        return "paths"
    # "pass format=", said to a command line user, named an option no command has
    raise TaxonomyError(
        f"{path}: cannot tell the taxonomy format from its name: a taxonomy is the own format (.yaml, .yml, .json), a "
        'list of category paths (.txt, one \'A > B > C\' per line, or .jsonl, {"path": "A > B > C"} per line), '
        "Google's taxonomy-with-ids .txt or a Shopify taxonomy directory; save it as one of these (in Python, "
        "load_taxonomy's format= names the format: own, shopify, google, paths)"
    )

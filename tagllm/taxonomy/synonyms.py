"""Synonym files: an analyst's extra words for taxonomy values, added to a copy of a taxonomy."""

from __future__ import annotations

from pathlib import Path

from tagllm.errors import TaxonomyError
from tagllm.taxonomy.files import read_structured, written_text
from tagllm.taxonomy.model import Taxonomy
from tagllm.taxonomy.nodes import Value
from tagllm.text import normalize


def load_synonyms(path: Path) -> dict[str, list[str]]:
    """An analyst's synonym file: a mapping of value id (or exact name) to a list of synonyms."""
    data = read_structured(path)
    if data is None:  # nothing but comments yet
        return {}
    if not isinstance(data, dict):
        raise TaxonomyError(f"{path}: a synonym file maps a value id or name to a list of synonyms (navy: [dark blue])")
    unlisted = next(((k, v) for k, v in data.items() if not isinstance(v, list)), None)
    if unlisted is not None:  # said of the whole file, not of the key: one 'navy: dark blue' among hundreds of keys
        key, given = unlisted
        fix = f"write {key}: [{given}]" if isinstance(given, str) else "write them as a list"
        raise TaxonomyError(
            f"{path}: synonyms for {key!r}: {given!r} is not a list; a synonym file maps a value id or name to a list "
            f"of synonyms: {fix}"
        )
    for key, words in data.items():
        # a blank item ("-") became the synonym 'None', and 'yes' 'True': a model answering "none" got that value
        odd = [w for w in words if w is None or isinstance(w, bool)]
        if odd:
            read = "an empty item (null)"
            if odd[0] is not None:
                read = f"{odd[0]} (YAML reads yes/no, on/off and true/false so)"
            raise TaxonomyError(
                f"{path}: synonyms for {key!r}: {read} is no synonym; write each synonym as text, quoted where YAML "
                "would read it otherwise ('no'), and leave no item empty"
            )
    written = written_text(path)
    for key, words in data.items():
        # 'aspect ratio: [16:9]' became the synonym '969' (YAML reads it in base 60), and 3.10 became '3.1'
        for i, word in enumerate(words):
            text = written((key, i)) if isinstance(word, int | float) else None
            if text is not None and text != str(word):
                raise TaxonomyError(
                    f"{path}: synonyms for {key!r}: {text} is read as the number {word}, not text: quote it "
                    f"('{text}') so it keeps its spelling"
                )
    return {str(k): [str(s) for s in v] for k, v in data.items()}


def add_synonyms(taxonomy: Taxonomy, synonyms: dict[str, list[str]], *, source: str = "") -> Taxonomy:
    """A new taxonomy with synonyms (keyed by value id, path or name) added; unknown keys are an error, naming
    ``source`` (the synonym file) where given.

    The input is left as it was: loaded taxonomies are cached and shared, so they are never changed in place.
    """
    by_name: dict[str, list[str]] = {}
    for v in taxonomy.values.values():
        by_name.setdefault(normalize(v.name), []).append(v.id)
        if v.path:
            by_name.setdefault(normalize(v.path), []).append(v.id)
    values = dict(taxonomy.values)
    for key, words in synonyms.items():
        ids = [key] if key in values else by_name.get(normalize(key), [])
        if len(ids) != 1:
            what = "no value" if not ids else f"{len(ids)} values ({', '.join(ids[:5])})"
            where = f"{source}: " if source else ""
            raise TaxonomyError(
                f"{where}synonyms for {key!r}: it matches {what} of taxonomy {taxonomy.name!r}; key synonyms by "
                "value id"
            )
        old = values[ids[0]]
        merged = tuple(dict.fromkeys(old.synonyms + tuple(words)))
        values[ids[0]] = Value(old.id, old.name, old.facet, old.parent_id, old.path, merged, old.labels, old.handle)
    return Taxonomy(taxonomy.name, dict(taxonomy.facets), values, source=taxonomy.source, languages=taxonomy.languages)

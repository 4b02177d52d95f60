"""Read-only views: what a template sees of shared objects (the taxonomy), so no template can change them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from tagllm.prompts.sandbox import spend
from tagllm.taxonomy import Facet, Taxonomy, Value


class _ReadOnlyMapping(Mapping[str, Any]):
    """A mapping a template can read and loop over (each loop counts toward its steps) but not change."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[str]:
        spend(steps=len(self._data))
        return iter(self._data)


class TaxonomyView:
    """The taxonomy as a template sees it: read-only. ``load_taxonomy`` hands every caller one shared object, so a
    template that could change it would change it for the rest of the process."""

    __slots__ = ("_taxonomy",)

    # What a misspelt ``taxonomy.nmae`` is told the view has (the prompt environment's ``getattr`` reads it)
    MISSING_ATTRIBUTE_HINT: ClassVar[str] = (
        "the taxonomy has no attribute {name!r} (it has name, version, languages, source, facets, values, "
        "facet_values(facet), children(id), ancestors(id), path_of(id), is_leaf(id); a value by its id: "
        "taxonomy['ID'])"
    )

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._taxonomy = taxonomy

    name = property(lambda self: self._taxonomy.name)
    version = property(lambda self: self._taxonomy.version)
    languages = property(lambda self: tuple(self._taxonomy.languages))
    source = property(lambda self: self._taxonomy.source)

    @property
    def facets(self) -> Mapping[str, Facet]:
        return _ReadOnlyMapping(self._taxonomy.facets)

    @property
    def values(self) -> Mapping[str, Value]:
        return _ReadOnlyMapping(self._taxonomy.values)

    def facet_values(self, facet: str) -> tuple[Value, ...]:
        values = tuple(self._taxonomy.facet_values(facet))
        spend(steps=len(values))
        return values

    def children(self, value_id: str | None) -> tuple[Value, ...]:
        return tuple(self._taxonomy.children(value_id))

    def ancestors(self, value_id: str) -> tuple[Value, ...]:
        return tuple(self._taxonomy.ancestors(value_id))

    def path_of(self, value_id: str) -> str:
        return self._taxonomy.path_of(value_id)

    def is_leaf(self, value_id: str) -> bool:
        return self._taxonomy.is_leaf(value_id)

    def __len__(self) -> int:
        return len(self._taxonomy)

    def __contains__(self, value_id: object) -> bool:
        return value_id in self._taxonomy

    def __getitem__(self, value_id: str) -> Value:
        return self._taxonomy[value_id]

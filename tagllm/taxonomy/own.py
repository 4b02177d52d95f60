"""Reading the project's own YAML/JSON taxonomy format (see ``taxonomy/demo.yaml``), with what a file of it got wrong
said in the analyst's terms; writing it back is ``tagllm.taxonomy.own_writer``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tagllm.errors import TaxonomyError
from tagllm.taxonomy.files import read_structured, written_text
from tagllm.taxonomy.model import Taxonomy
from tagllm.taxonomy.nodes import PATH_SEPARATOR, Facet, Value
from tagllm.taxonomy.synonyms import add_synonyms, load_synonyms
from tagllm.text import normalize


class _ValueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    synonyms: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    parent: str | None = None
    children: list[_ValueSpec] = Field(default_factory=list)


class _FacetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    title: str = ""
    description: str = ""
    hierarchical: bool = False
    multi_valued: bool = False
    required: bool = False
    labels: dict[str, str] = Field(default_factory=dict)
    applies_to: list[str] | None = Field(
        None, description="category ids whose subtrees this facet applies to (default: every category)"
    )
    values: list[_ValueSpec]


class _TaxonomySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    languages: list[str] = Field(default_factory=lambda: ["en"])
    synonym_files: list[str] = Field(default_factory=list)
    facets: list[_FacetSpec]


def _place(facet: str, name: str, parent: str | None) -> str:
    """Where a value sits, as a user finds it in the file: its facet, its name, and its parent's id if it has one."""
    return f"facet {facet!r}, value {name!r}" + (f" under {parent!r}" if parent else "")


def _from_spec(spec: _TaxonomySpec, base_dir: Path, source: str) -> Taxonomy:
    """The taxonomy a parsed file describes (``source`` names the file in errors; synonym files are read from
    ``base_dir``), each facet and value checked as it is read."""
    if not spec.facets:  # it loaded, and every product came out 'ok' with no tag at all, exit 0
        raise TaxonomyError(
            f"{source}: lists no facets, so no product can be tagged; give it facets under facets: (a category tree "
            "with hierarchical: true, flat facets such as color)"
        )
    facets: dict[str, Facet] = {}
    values: dict[str, Value] = {}
    for number, f in enumerate(spec.facets, 1):
        facets[f.name] = _checked_facet(number, f, facets, source)
        for item in f.values:
            _add_value(f, item, None, values, source)
    _refuse_parents_in_other_facets(values, source)
    # paths once every value is read: a parent declared after its child, or named by ``parent:`` elsewhere than where
    # the child is nested, is in its path too
    for vid, value in values.items():
        if facets[value.facet].hierarchical:
            values[vid] = replace(value, path=_path(values, vid))
    taxonomy = Taxonomy(spec.name, facets, values, source=source, languages=tuple(spec.languages))
    _refuse_name_clashes(taxonomy, source)
    scopes = _scopes(spec, taxonomy, source)
    if scopes:
        taxonomy = taxonomy.with_scopes(scopes)
    for name in spec.synonym_files:
        path = base_dir / name
        if not path.is_file():  # said as "nope.yaml: cannot read", nothing naming the taxonomy that reads it
            raise TaxonomyError(
                f"{source}: synonym_files names {name!r}, which is not a file ({path}); synonym files are looked "
                "for beside the taxonomy file: put it there, or fix the name"
            )
        taxonomy = add_synonyms(taxonomy, load_synonyms(path), source=str(path))
    return taxonomy


def _checked_facet(number: int, f: _FacetSpec, facets: dict[str, Facet], source: str) -> Facet:
    """The facet the file's ``number``-th facet entry declares, refused where it has no name, repeats one of the
    ``facets`` read before it (case aside) or has no values."""
    if not f.name.strip():
        # the name is the facet's key in every result and its CSV columns: '' gave a column '' and one '_id'
        raise TaxonomyError(
            f"{source}: facet {number} (values {', '.join(repr(v.id) for v in f.values[:3]) or 'none'}) has an "
            f"empty name {f.name!r}; give it one: it is the facet's tag key in results and its column in CSV"
        )
    same = next((name for name in facets if name.casefold() == f.name.casefold()), None)
    if same is not None:  # "Category" beside "category": two facets a gold file's keys and columns confuse
        raise TaxonomyError(
            f"{source}: facet {f.name!r} is declared twice" + (f" (as {same!r})" if same != f.name else "")
        )
    if not f.values:
        # it loaded, and every product asked to be tagged in it came out 'ok' with no tag of it
        raise TaxonomyError(
            f"{source}: facet {f.name!r} has no values, so no product can be tagged in it; give it values "
            "({id: …, name: …}) or remove the facet"
        )
    return Facet(
        name=f.name,
        title=f.title or f.name,
        description=f.description,
        hierarchical=f.hierarchical,
        multi_valued=f.multi_valued,
        required=f.required,
        labels=tuple(sorted(f.labels.items())),
    )


def _add_value(facet: _FacetSpec, item: _ValueSpec, parent: str | None, values: dict[str, Value], source: str) -> None:
    """Add the value ``item`` declares, and its children under it, to ``values``, refusing an id that is empty,
    unsafe in a CSV cell or already taken, and a name with no letters or digits."""
    if not item.id.strip():
        # it loaded and was tagged: CSV rows had its name under the facet and nothing under the facet's ids
        raise TaxonomyError(
            f"{source}: facet {facet.name!r}: value {item.name!r} has an empty id {item.id!r}; give it a stable "
            "id: results, examples' labels and indexes name a value by it"
        )
    if not normalize(item.name):
        # it loaded ('---', '()', '…' with 0 problems from `taxonomy check`), and the mapper, which compares
        # normalised names, mapped only that exact string to it: a product stating it was never tagged with it
        raise TaxonomyError(
            f"{source}: facet {facet.name!r}: value {item.id!r} has no letters or digits in its name "
            f"{item.name!r}, so nothing but that exact string maps to it; give it the name products state it by"
        )
    if item.id != item.id.strip() or " | " in item.id:
        # a CSV output's cell joins a facet's ids with " | " and reads them back (--resume, eval) split and
        # stripped: such an id came back as other ids
        raise TaxonomyError(
            f"{source}: facet {facet.name!r}: value id {item.id!r} has spaces around it or holds ' | ', which "
            "CSV outputs join ids with; give it an id without"
        )
    if item.id in values:
        first = values[item.id]
        raise TaxonomyError(
            f"{source}: value id {item.id!r} appears twice ({_place(first.facet, first.name, first.parent_id)}; "
            f"and {_place(facet.name, item.name, item.parent or parent)}); ids must be unique: give one another id"
        )
    values[item.id] = Value(
        id=item.id,
        name=item.name,
        facet=facet.name,
        parent_id=item.parent or parent,
        synonyms=tuple(item.synonyms),
        labels=tuple(sorted(item.labels.items())),
    )
    for child in item.children:
        _add_value(facet, child, item.id, values, source)


def _scopes(spec: _TaxonomySpec, taxonomy: Taxonomy, source: str) -> dict[str, Iterable[str] | None]:
    """The categories each facet with an ``applies_to`` applies to (the subtrees of the categories it lists),
    refused where it lists none or names an id that is no category of the taxonomy."""
    scopes: dict[str, Iterable[str] | None] = {}
    for f in spec.facets:
        if f.applies_to is None:
            continue
        if not f.applies_to:  # it loaded, and no product was ever given a tag of it
            raise TaxonomyError(
                f"{source}: facet {f.name!r} applies_to lists no category, so no product can be tagged in it; list "
                "the ids of the categories whose subtrees it applies to, or leave applies_to out for every category"
            )
        unknown = [
            c
            for c in f.applies_to
            if c not in taxonomy.values or not taxonomy.facets[taxonomy.values[c].facet].hierarchical
        ]
        if unknown:
            raise TaxonomyError(
                f"{source}: facet {f.name!r} applies_to {', '.join(map(repr, unknown))}: not category ids of this "
                "taxonomy (applies_to lists the ids of the categories whose subtrees the facet applies to)"
                + _ids_named(taxonomy, unknown)
            )
        scopes[f.name] = {c for root in f.applies_to for c in taxonomy.subtree(root)}
    return scopes


def _ids_named(taxonomy: Taxonomy, texts: list[str]) -> str:
    """ "; 'Apparel' names 'apparel'": the ids of the categories ``texts`` name by their name or path, which
    an analyst writes in applies_to as often as the id (the refusal named no id, to be looked up in a long file)."""
    hierarchical = [name for name, f in taxonomy.facets.items() if f.hierarchical]
    found = []
    for text in texts:
        key = normalize(text)
        ids = [
            v.id
            for n in hierarchical
            for v in taxonomy.facet_values(n)
            if key in (normalize(v.name), normalize(v.path or ""))
        ]
        if ids:
            found.append(f"{text!r} names {' and '.join(map(repr, ids[:3]))}")
    return f"; {', '.join(found)}: list the ids" if found else ""


def _refuse_parents_in_other_facets(values: dict[str, Value], source: str) -> None:
    """A ``parent:`` naming a value of another facet (``{id: red, name: Red, parent: dresses}``, meant as "a colour of
    dresses") loaded: the value had the category among its ancestors, and a taxonomy written back (`taxonomy build`)
    lost it, being listed neither at the top of its facet nor under a value of it."""
    for value in values.values():
        parent = values.get(value.parent_id) if value.parent_id is not None else None
        if parent is not None and parent.facet != value.facet:
            raise TaxonomyError(
                f"{source}: facet {value.facet!r}: value {value.id!r} has parent {parent.id!r}, a value of facet "
                f"{parent.facet!r}; a parent is a value of the same facet: to have facet {value.facet!r} apply to "
                f"{parent.id!r} and below only, list {parent.id!r} in its applies_to"
            )


def _refuse_name_clashes(taxonomy: Taxonomy, source: str) -> None:
    """Two values of one name under one parent: a product stating the name had its evidence split between them
    (0.45 each for a stated Red, against 0.95 for one) and came out with neither, where `taxonomy check` alone said
    so."""
    clashes = taxonomy.name_clashes()
    if not clashes:
        return
    named = "; ".join(
        f"facet {a.facet!r}: {a.id!r} and {b.id!r} ({b.name!r} "
        + (f"under {a.parent_id!r})" if a.parent_id is not None else "at the top of the facet)")
        for a, b in clashes[:5]
    ) + (f"; … ({len(clashes) - 5} more)" if len(clashes) > 5 else "")
    raise TaxonomyError(
        f"{source}: values that share a name where the mapper cannot tell them apart: {named}. A product naming one "
        "has its evidence split between them and may get neither: rename one, or make it a synonym of the other"
    )


def _path(values: dict[str, Value], value_id: str) -> str:
    """The names from the value's root down to it (stopping at a parent of another facet, and at a cycle, which
    ``Taxonomy`` refuses)."""
    names: list[str] = []
    current: str | None = value_id
    facet = values[value_id].facet
    while current in values and values[current].facet == facet and current not in names:
        names.append(current)
        current = values[current].parent_id
    return PATH_SEPARATOR.join(values[v].name for v in reversed(names))


def load_own(path: Path) -> Taxonomy:
    """Load the project's YAML/JSON taxonomy format (see ``taxonomy/demo.yaml``)."""
    data = read_structured(path)
    try:
        spec = _TaxonomySpec.model_validate(data)
    except ValidationError as exc:
        written = written_text(path)
        problems = "\n".join(_problem(data, err, written) for err in exc.errors())
        raise TaxonomyError(f"{path}: not a valid taxonomy file:\n{problems}") from None
    return _from_spec(spec, path.parent, str(path))


def _problem(data: Any, err: Any, written: Callable[[tuple[Any, ...]], str | None] = lambda loc: None) -> str:
    """One validation error: its place, the facet and value it is in (counting list items to find them is the
    analyst's work otherwise), and for a name or id YAML did not read as text, what to write (as the file writes
    it: ``written``)."""
    where = ".".join(str(p) for p in err["loc"])
    within = _within(data, err["loc"])
    given = err.get("input")
    if err["type"] in ("model_type", "dict_type", "list_type"):
        # "Input should be a valid dictionary or instance of _ValueSpec" named a class of tagllm's, and no shape
        return f"  {where or 'the file'}{f' ({within})' if within else ''}: {_shape(err['loc'], err['type'], given)}"
    line = f"  {where}{f' ({within})' if within else ''}: {err['msg']}"
    if err["type"] != "string_type":
        return line
    if isinstance(given, bool):
        return f"{line}; it was read as {given} (YAML reads yes/no, on/off and true/false so): quote it"
    if isinstance(given, int | float):
        text = written(tuple(err["loc"])) or str(given)
        read = f"read as the number {given}" if text != str(given) else "a number here"
        return f"{line}; {text} is {read}, not text: quote it ('{text}') so it keeps its spelling"
    return f"{line}; it is empty (null): give it one" if given is None else line


_SHAPES = {
    (): "a taxonomy file is a mapping: name: …, facets: [{name: color, values: [{id: red, name: Red}]}] (see "
    "taxonomy/demo.yaml)",
    ("facets", 0): "a facet is a mapping: {name: color, values: [{id: red, name: Red}]}",
    ("values", 0): "a value is a mapping with its id and name: {id: red, name: Red}",
    ("children", 0): "a value is a mapping with its id and name: {id: red, name: Red}",
    ("labels",): "labels map a language to the name in it: {zh-CN: 红色}",
}


def _shape(loc: tuple[Any, ...], kind: str, given: Any) -> str:
    """What belongs where a value of the wrong shape is (``values: [Red, Blue]``, ``synonyms: navy``)."""
    shown = repr(given) if len(repr(given)) <= 60 else f"{repr(given)[:57]}…"
    what = "it is empty" if given is None else f"not {shown}"
    if kind == "list_type":
        return f"a list belongs here ([…]), {what}" + (f": write [{given}]" if isinstance(given, str) else "")
    place = tuple(0 if isinstance(p, int) else p for p in loc[-2:])
    shape = _SHAPES.get(place) or _SHAPES.get(place[-1:]) or ("a mapping" if loc else _SHAPES[()])
    return f"{shape}, {what}"


def _within(data: Any, loc: tuple[Any, ...]) -> str:
    """'facet 'size', value 'size-42'': the facet and the innermost value a validation error's place lies in."""
    facet = value = None
    node = data
    for key, index in zip(loc[::2], loc[1::2], strict=False):  # ('facets', 1, 'values', 0, 'name'): list, item
        if not isinstance(index, int) or not isinstance(node, dict) or not isinstance(node.get(key), list):
            break
        node = node[key][index] if index < len(node[key]) else None
        if not isinstance(node, dict):
            break
        if key == "facets":
            facet = node.get("name")
        elif key in ("values", "children"):
            value = node
    parts = [f"facet {facet!r}"] if isinstance(facet, str) else []
    if value is not None:
        vid, name = value.get("id"), value.get("name")
        parts.append(f"value {vid!r}" if isinstance(vid, str) else f"value named {name!r}")
    return ", ".join(parts)

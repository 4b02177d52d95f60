"""`tagllm taxonomy show|check|stats|map|build`: look at a taxonomy, map free text onto it, build one from examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tagllm.cli.common import PLAIN_HELP, StderrProgress
from tagllm.cli.options import (
    BaseUrlOpt,
    BuildQuietOpt,
    ConfigOpt,
    ConfigTaxonomyOpt,
    ExamplesArg,
    InputFormatOpt,
)

if TYPE_CHECKING:
    from tagllm.attributes import LearnedTaxonomy
    from tagllm.backends.base import Backend
    from tagllm.taxonomy import Facet, Taxonomy, Value

app = typer.Typer(help="Inspect, check and map onto a taxonomy.", no_args_is_help=True, rich_markup_mode=PLAIN_HELP)


def _taxonomy(taxonomy: str | None, config: str | None) -> Taxonomy:
    """The taxonomy a flag names, else the config file's (as `tagllm generate` reads it), else the demo."""
    from tagllm.cli.common import build_config
    from tagllm.taxonomy import load_taxonomy

    return load_taxonomy(build_config(config, taxonomy=taxonomy).taxonomy)


@app.command()
def show(
    taxonomy: ConfigTaxonomyOpt = None,
    config: ConfigOpt = None,
    facet: str | None = typer.Option(None, help="show one facet only"),
    depth: int = typer.Option(3, min=1, help="levels of a hierarchical facet to print"),
    language: str | None = typer.Option(None, "--language", "-l", help="also print labels in this language"),
    category: str | None = typer.Option(
        None, "--category", help="print the facets that apply to this category (its id, path or unique name)"
    ),
) -> None:
    """Print the facets and values as a tree, and where each facet applies."""
    tax = _taxonomy(taxonomy, config)
    if language is not None:
        _check_language(tax, language)
    if category is not None:
        _show_category(tax, category)
        return
    for name in [facet] if facet else list(tax.facets):
        tax.facet_values(name)  # an unknown facet fails here, naming the taxonomy's facets
        lines = facet_lines(tax, tax.facets[name], depth=depth, language=language)
        for line in lines:
            typer.echo(line)


def _check_language(tax: Taxonomy, language: str) -> None:
    """A language no value has a label in printed the tree with none, as if the taxonomy had no labels (Shopify's
    Chinese is 'zh-CN', not 'zh')."""
    from tagllm.errors import InputError

    known = dict.fromkeys([*tax.languages, *(lang for v in tax.values.values() for lang, _ in v.labels)])
    if language not in known:
        raise InputError(
            f"--language {language!r}: taxonomy {tax.name!r} has no labels in it; its languages are {', '.join(known)}"
        )


def facet_lines(tax: Taxonomy, spec: Facet, *, depth: int, language: str | None) -> list[str]:
    """One facet as `taxonomy show` prints it: a heading line, then its values (a tree for a hierarchical facet)."""
    values = tax.facet_values(spec.name)
    kind = "hierarchical" if spec.hierarchical else ("multi-valued" if spec.multi_valued else "single-valued")
    where = "" if spec.hierarchical else _where(tax, spec.name)
    lines = [f"{spec.name} ({kind}, {len(values)} values){where}"]

    def label(value: Value) -> str:
        extra = value.label(language) if language else None
        return f"{value.name} [{value.id}]" + (f" / {extra}" if extra else "")

    if not spec.hierarchical:
        return lines + ["  " + label(v) for v in values]

    def walk(parent: str | None, level: int) -> None:
        if level >= depth:
            return
        for child in tax.children(parent):
            if child.facet == spec.name:
                lines.append("  " * (level + 1) + label(child))
                walk(child.id, level + 1)

    walk(None, 0)
    return lines


def _where(tax: object, facet: str) -> str:
    """'; applies everywhere' or '; applies to N categories: A; B > C; …' (whole subtrees, top-most first)."""
    from tagllm.taxonomy import Taxonomy

    assert isinstance(tax, Taxonomy)
    roots = tax.scope_roots(facet)
    if roots is None:
        return "; applies everywhere"
    if not roots:
        return "; applies to no category"
    scope = tax.categories_of(facet) or frozenset()
    shown = "; ".join(tax.path_of(r) for r in roots[:5]) + (f"; … ({len(roots) - 5} more)" if len(roots) > 5 else "")
    return f"; applies to {len(scope)} categor{'y' if len(scope) == 1 else 'ies'}: {shown}"


def _show_category(tax: object, category: str) -> None:
    from tagllm.errors import InputError
    from tagllm.retrieval.index import LabelResolver
    from tagllm.taxonomy import Taxonomy

    assert isinstance(tax, Taxonomy)
    hierarchical = [n for n, f in tax.facets.items() if f.hierarchical]
    vid = next((r for n in hierarchical if (r := LabelResolver(tax).resolve(n, category))), None)
    if vid is None:
        key = category.strip().casefold()
        named = [v for n in hierarchical for v in tax.facet_values(n) if v.name.casefold() == key]
        if named:
            listed = "; ".join(f"{v.id} ({tax.path_of(v.id)})" for v in named[:10])
            more = f"; … ({len(named) - 10} more)" if len(named) > 10 else ""
            raise InputError(
                f"{len(named)} categories of {tax.name!r} are named {category!r}, give one's id or path: {listed}{more}"
            )
        raise InputError(f"taxonomy {tax.name!r} has no category {category!r} (give its id, path or unique name)")
    typer.echo(f"{tax.path_of(vid)} [{vid}]")
    facets = tax.facets_for(vid)
    for name in facets:
        f = tax.facets[name]
        scope = "everywhere" if f.categories is None else "here"
        if f.categories is not None and vid not in f.categories:  # through kinds of it ("fabric" for material)
            kinds = [k for k in tax.kinds_of(name) if vid in (tax.facets[k].categories or ())]
            scope = f"here, for the values of {', '.join(kinds)}"
        typer.echo(f"  {name} ({len(tax.facet_values(name))} values, applies {scope})")
    if not facets:
        typer.echo("  no facet applies")


@app.command()
def build(
    examples: ExamplesArg,
    output: str = typer.Option(..., "--output", "-o", help="the taxonomy file to write (.yaml or .json)"),
    taxonomy: str | None = typer.Option(
        None, "--taxonomy", "-t", help="the taxonomy to extend (its category tree); default: the config's"
    ),
    config: ConfigOpt = None,
    label_field: str = typer.Option("gold_category", help="field holding each product's category (or labels)"),
    attribute_field: str | None = typer.Option(
        "gold_attribute_tags", help='field holding "Key: Value" attribute tags (or a {key: value} mapping)'
    ),
    no_attributes: bool = typer.Option(
        False,
        "--no-attributes",
        help="learn no new facet, only where the taxonomy's facets apply (from the labels and the attribute tags "
        "that name them)",
    ),
    text_field: str = typer.Option(
        "title", help="field holding each product's text: a rare value its text states is kept ('' for none)"
    ),
    name: str | None = typer.Option(None, help="the new taxonomy's name (default: the extended one's)"),
    min_products: int = typer.Option(5, min=1, help="products a key needs to become a facet"),
    min_value_count: int = typer.Option(
        2,
        min=1,
        help="products a value needs to be kept, unless a product's text states it or it misspells a commoner value",
    ),
    scope_support: int = typer.Option(
        3, min=1, help="examples carrying a facet a category needs for the facet to apply"
    ),
    scope_share: float = typer.Option(
        0.3, min=0.0, max=1.0, help="... and the share of that category's examples they must be (0.3: 30%)"
    ),
    input_format: InputFormatOpt = None,
    quiet: BuildQuietOpt = False,
) -> None:
    """Build a taxonomy from labelled products: attribute facets from their "Key: Value" tags (values merged,
    free-text, number and code keys left out with the reason) and where each facet applies."""
    from tagllm.attributes import learn_taxonomy
    from tagllm.attributes.taxonomy_file import (
        check_build_output,
        check_extendable,
        refuse_nothing_learned,
        save_learned,
    )
    from tagllm.cli.common import build_config
    from tagllm.taxonomy import load_taxonomy

    cfg = build_config(config, taxonomy=taxonomy)
    check_build_output(output, examples)  # before the products are read
    progress = StderrProgress(quiet)  # on a terminal: reading and learning from a large catalogue takes minutes
    try:
        progress("taxonomy", 0, None)
        base = load_taxonomy(cfg.taxonomy)
        check_extendable(base, output)  # before the products are read and learned from
        learned = learn_taxonomy(
            examples, base, label_field=label_field, attribute_field=attribute_field, learn_facets=not no_attributes,
            text_field=text_field or None, min_products=min_products, min_value_count=min_value_count,
            min_support=scope_support, min_share=scope_share, name=name, input_format=input_format,
            progress=progress,
        )  # fmt: skip
    finally:
        progress.done()  # its line ends before the summary, or an error, is printed
    for line in learned.summary():
        typer.echo(line)
    refuse_nothing_learned(learned, examples, None if no_attributes else attribute_field, label_field)
    _print_written(save_learned(learned, output, examples, base), learned)
    # as `index build`: a record that could not be read is not learned from, and a script must be able to tell
    raise typer.Exit(1 if learned.bad_records else 0)


def _print_written(path: Path, learned: LearnedTaxonomy) -> None:
    """The build's last line: the file written, what it holds, and the records skipped (which make the exit 1)."""
    facets = len(learned.attributes.facets) if learned.attributes else 0
    skipped = len(learned.bad_records)
    typer.echo(
        f"{path}: {len(learned.taxonomy)} values in {len(learned.taxonomy.facets)} facets ({facets} learned)"
        + (f", {skipped} record(s) skipped" if skipped else "")
    )


@app.command()
def check(taxonomy: ConfigTaxonomyOpt = None, config: ConfigOpt = None) -> None:
    """Report problems an analyst should fix (names or synonyms the mapper cannot tell apart, empty names); exit 1 if
    any."""
    tax = _taxonomy(taxonomy, config)
    problems = tax.check()
    for p in problems:
        typer.echo(p)
    typer.echo(f"{tax.name}: {len(tax)} values in {len(tax.facets)} facets, {len(problems)} problem(s)")
    raise typer.Exit(1 if problems else 0)


@app.command()
def stats(taxonomy: ConfigTaxonomyOpt = None, config: ConfigOpt = None) -> None:
    """Print counts per facet (values, depth, leaves, synonyms, labels per language) as JSON."""
    typer.echo(json.dumps(_taxonomy(taxonomy, config).stats(), indent=2, ensure_ascii=False))


@app.command("map")
def map_(
    strings: list[str] | None = typer.Argument(None, help="strings to map (else --file, else stdin)"),  # noqa: B008
    taxonomy: ConfigTaxonomyOpt = None,
    config: ConfigOpt = None,
    facet: str | None = typer.Option(None, "--facet", "-f", help="map within this facet (default: any)"),
    file: str | None = typer.Option(None, "--file", help="read strings from a JSONL, CSV or Parquet file"),
    column: str | None = typer.Option(None, "--column", help="the JSONL key or CSV column of --file to read"),
    output_format: str = typer.Option("table", "--format", help="table, jsonl or csv"),
    synonyms: list[str] | None = typer.Option(None, "--synonyms", help="a synonym file (repeatable)"),  # noqa: B008
    literal: bool = typer.Option(
        False,
        "--literal",
        help="map each string as written, and each item of a --file's list cell (by default a JSON, 'Key: value' or "
        "Markdown answer is parsed as the tagger parses a model's answer)",
    ),
    embeddings: bool = typer.Option(True, "--embeddings/--no-embeddings", help="use the embedding stage"),
    lexicon: bool = typer.Option(True, "--lexicon/--no-lexicon", help="use the WordNet stage (tagllm[lexicon])"),
    backend: str | None = typer.Option(
        None,
        "--backend",
        help="an LLM backend (transformers, vllm, openai) to choose among the nearest values for "
        "strings no other stage placed",
    ),
    model: str | None = typer.Option(None, "--model", help="the backend's model (path or served name)"),
    base_url: BaseUrlOpt = None,
) -> None:
    """Map free text onto taxonomy values (id, path, method, score), or say why a string was rejected.

    One output row per input string (per line of stdin, record of a JSONL file, row of a CSV file), in order.
    """
    from tagllm.cli.map_input import check_output, check_sources, read_texts
    from tagllm.cli.map_output import output_row, print_rows, summary_line
    from tagllm.errors import InputError
    from tagllm.mapping import Mapper, map_texts
    from tagllm.mapping.llm import NOT_ANSWERED
    from tagllm.taxonomy import add_synonyms, load_synonyms

    if output_format not in ("table", "jsonl", "csv"):
        raise InputError(f"--format {output_format!r}: use table, jsonl or csv")
    check_sources(strings, file, column)
    if file is not None:
        check_output(Path(file))
    progress = StderrProgress()  # a first run builds tables and embeds every label: minutes for Shopify's
    progress("taxonomy", 0, None)
    tax = _taxonomy(taxonomy, config)
    progress.done()  # before stdin is read: on a terminal, the strings are typed there
    for path in synonyms or []:
        tax = add_synonyms(tax, load_synonyms(Path(path)))
    if facet is not None and facet not in tax.facets:
        tax.facet_values(facet)  # the taxonomy's error, naming its facets
    texts, notes = read_texts(strings, file, column)
    llm = _llm_stage(backend, model, base_url, config, tax)
    mapper = Mapper(tax, use_embeddings=embeddings, use_lexicon=lexicon, backend=llm, progress=progress)
    cells = map_texts(mapper, [t if i not in notes else "" for i, t in enumerate(texts)], facet, literal=literal)
    progress.done()
    rows = [output_row(tax, cell, notes.get(i)) for i, cell in enumerate(cells)]
    print_rows(rows, output_format)
    typer.echo(summary_line(rows, len(notes)), err=True)
    if any(NOT_ANSWERED in row["reason"] for row in rows):
        raise typer.Exit(1)  # some records failed, as `tagllm generate` says it


def _llm_stage(
    backend: str | None, model: str | None, base_url: str | None, config: str | None, tax: Taxonomy
) -> Backend | None:
    """The LLM backend --backend names for the strings no other stage placed, loaded before any string is mapped: a
    server not there or a model that cannot start is said once, not as every string rejected."""
    if backend is None:
        return None
    from tagllm.assembly import backend_options
    from tagllm.backends import get_backend
    from tagllm.cli.common import build_config
    from tagllm.errors import ConfigError

    if backend == "retrieval":
        raise ConfigError("--backend: the LLM stage needs an LLM backend (transformers, vllm, openai)")
    cfg = build_config(config, backend=backend, model=model, base_url=base_url)
    llm = get_backend(cfg.backend, **backend_options(cfg, tax))
    llm.load()
    return llm

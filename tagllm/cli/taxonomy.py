"""`tagllm taxonomy show|check|stats|map`: look at a taxonomy and map free text onto it."""

from __future__ import annotations

import json

import typer

app = typer.Typer(help="Inspect, check and map onto a taxonomy.", no_args_is_help=True)

TaxonomyOpt = typer.Option("demo", "--taxonomy", "-t", help="taxonomy file, directory or name (demo, shopify)")


@app.command()
def show(
    taxonomy: str = TaxonomyOpt,
    facet: str | None = typer.Option(None, help="show one facet only"),
    depth: int = typer.Option(3, help="levels of a hierarchical facet to print"),
    language: str | None = typer.Option(None, "--language", "-l", help="also print labels in this language"),
) -> None:
    """Print the facets and values as a tree."""
    from tagllm.taxonomy import load_taxonomy

    tax = load_taxonomy(taxonomy)
    facets = [facet] if facet else list(tax.facets)
    for name in facets:
        values = tax.facet_values(name)
        f = tax.facets[name]
        kind = "hierarchical" if f.hierarchical else ("multi-valued" if f.multi_valued else "single-valued")
        typer.echo(f"{name} ({kind}, {len(values)} values)")

        def label(v: object) -> str:
            extra = v.label(language) if language else None  # type: ignore[attr-defined]
            return f"{v.name} [{v.id}]" + (f" / {extra}" if extra else "")  # type: ignore[attr-defined]

        if f.hierarchical:

            def walk(parent: str | None, level: int) -> None:
                if level >= depth:
                    return
                for child in tax.children(parent):
                    if child.facet == name:
                        typer.echo("  " * (level + 1) + label(child))
                        walk(child.id, level + 1)

            walk(None, 0)
        else:
            for v in values:
                typer.echo("  " + label(v))


@app.command()
def check(taxonomy: str = TaxonomyOpt) -> None:
    """Report problems an analyst should fix (duplicate names under one parent, cycles); exit 1 if any."""
    from tagllm.taxonomy import load_taxonomy

    tax = load_taxonomy(taxonomy)
    problems = tax.check()
    for p in problems:
        typer.echo(p)
    typer.echo(f"{tax.name}: {len(tax)} values in {len(tax.facets)} facets, {len(problems)} problem(s)")
    raise typer.Exit(1 if problems else 0)


@app.command()
def stats(taxonomy: str = TaxonomyOpt) -> None:
    """Print counts per facet (values, depth, leaves, synonyms, labels per language) as JSON."""
    from tagllm.taxonomy import load_taxonomy

    typer.echo(json.dumps(load_taxonomy(taxonomy).stats(), indent=2, ensure_ascii=False))

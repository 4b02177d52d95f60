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

            def walk(parent: str | None, level: int, facet_name: str) -> None:
                if level >= depth:
                    return
                for child in tax.children(parent):
                    if child.facet == facet_name:
                        typer.echo("  " * (level + 1) + label(child))
                        walk(child.id, level + 1, facet_name)

            walk(None, 0, name)
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


@app.command("map")
def map_(
    strings: list[str] | None = typer.Argument(None, help="strings to map (else --file, else stdin)"),  # noqa: B008
    taxonomy: str = TaxonomyOpt,
    facet: str | None = typer.Option(None, "--facet", "-f", help="map within this facet (default: any)"),
    file: str | None = typer.Option(None, "--file", help="read strings from a JSONL or CSV file"),
    column: str | None = typer.Option(None, "--column", help="the JSONL key or CSV column to read"),
    output_format: str = typer.Option("table", "--format", help="table, jsonl or csv"),
    synonyms: list[str] | None = typer.Option(None, "--synonyms", help="a synonym file (repeatable)"),  # noqa: B008
    embeddings: bool = typer.Option(True, "--embeddings/--no-embeddings", help="use the embedding stage"),
) -> None:
    """Map free text onto taxonomy values (id, path, method, score), or say why a string was rejected."""
    import csv
    import io
    import sys
    from pathlib import Path

    from tagllm.errors import InputError
    from tagllm.mapping import Mapper
    from tagllm.taxonomy import add_synonyms, load_synonyms, load_taxonomy

    if output_format not in ("table", "jsonl", "csv"):
        raise InputError(f"--format {output_format!r}: use table, jsonl or csv")
    tax = load_taxonomy(taxonomy)
    for path in synonyms or []:
        tax = add_synonyms(tax, load_synonyms(Path(path)))
    if strings:
        texts = list(strings)
    elif file:
        texts = _read_column(Path(file), column)
    else:
        texts = [line.rstrip("\r\n") for line in sys.stdin if line.strip()]
    mapper = Mapper(tax, use_embeddings=embeddings)
    results = mapper.map(texts, facet)
    fields = ("text", "facet", "id", "name", "path", "method", "score", "reason")
    rows: list[dict[str, str | float]] = [
        {
            "text": m.text,
            "facet": m.facet or "",
            "id": m.value.id if m.value else "",
            "name": m.value.name if m.value else "",
            "path": tax.path_of(m.value.id) if m.value else "",
            "method": m.method or "rejected",
            "score": round(m.score, 4),
            "reason": m.reason or "",
        }
        for m in results
    ]
    if output_format == "jsonl":
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
    elif output_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buffer.getvalue(), nl=False)
    else:
        table: list[tuple[str, ...]] = [("TEXT", "FACET", "ID", "PATH", "METHOD", "SCORE / REASON")]
        for row in rows:
            last = f"{row['score']:.3f}" if row["id"] else str(row["reason"])
            cells = (row["facet"], row["id"], row["path"], row["method"])
            table.append((_clip(str(row["text"])), *(str(c) for c in cells), last))
        widths = [max(_width(r[i]) for r in table) for i in range(5)]
        for r in table:
            typer.echo("  ".join(c + " " * (w - _width(c)) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5])
    rejected = sum(1 for m in results if m.value is None)
    typer.echo(f"{len(results) - rejected} of {len(results)} mapped, {rejected} rejected", err=True)


def _width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two, so the table stays aligned."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int = 60) -> str:
    """One table line per string, however long or multi-line the string was."""
    text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= width else text[: width - 1] + "…"


def _read_column(path: object, column: str | None) -> list[str]:
    """Strings from a JSONL file (one key per record) or a CSV file (one column); the column is required."""
    import csv
    from pathlib import Path

    from tagllm.errors import InputError

    assert isinstance(path, Path)
    if not column:
        raise InputError(f"{path}: name the field holding the strings with --column")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    out: list[str] = []
    if path.suffix in (".jsonl", ".json", ".ndjson"):
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict) or column not in record:
                raise InputError(f"{path}:{lineno}: no field {column!r}")
            value = record[column]
            out.extend(str(v) for v in value) if isinstance(value, list) else out.append(
                "" if value is None else str(value)
            )
        return out
    reader = csv.DictReader(text.splitlines())
    if column not in (reader.fieldnames or []):
        raise InputError(f"{path}: no column {column!r}; columns: {', '.join(reader.fieldnames or [])}")
    return [row[column] or "" for row in reader]

"""The rows `tagllm taxonomy map` prints, one per string: an aligned table, JSONL or CSV (with the warning a
spreadsheet formula's cell calls for), and the line of counts after them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from tagllm.cli.common import formula_warning

if TYPE_CHECKING:
    from tagllm.mapping import CellResult
    from tagllm.taxonomy import Taxonomy


FIELDS = ("text", "facet", "id", "name", "path", "method", "score", "reason")


def output_row(tax: Taxonomy, cell: CellResult, note: str | None) -> dict[str, Any]:
    """An output row; a string that held several values (a list) shows them joined with "; ", and their facets so
    when they are not all of one (an answer naming a category and a colour: "category; color")."""
    if note is not None:
        return {"text": "", "facet": cell.facet or "", "id": "", "name": "", "path": "", "method": "rejected",
                "score": 0.0, "reason": note}  # fmt: skip
    values = cell.values
    facets = [v.facet for v, _ in values]
    return {
        "text": _safe(cell.text),
        "facet": "; ".join(facets) if len(set(facets)) > 1 else cell.facet or "",
        "id": "; ".join(v.id for v, _ in values),
        "name": "; ".join(v.name for v, _ in values),
        "path": "; ".join(tax.path_of(v.id) for v, _ in values),
        "method": "; ".join(dict.fromkeys(i.method for _, i in values)) or "rejected",
        "score": round(min((i.score for _, i in values), default=0.0), 4),
        "reason": _safe(cell.reason or ""),
    }


def summary_line(rows: list[dict[str, Any]], unread: int) -> str:
    """The line after the rows: how many strings were mapped and rejected, and of those rejected, how many only in
    part, because the LLM did not answer (worth mapping again) or because their record was unread (a line to fix)."""
    from tagllm.mapping.llm import NOT_ANSWERED

    rejected = sum(1 for row in rows if not row["id"])
    partly = sum(1 for row in rows if row["id"] and row["reason"])
    unanswered = sum(1 for row in rows if NOT_ANSWERED in row["reason"])
    some = f" ({partly} of them in part: the reason names what was left out)" if partly else ""
    failed = f" ({unanswered} of them because {NOT_ANSWERED}: map them again)" if unanswered else ""
    if unread:  # not tags the taxonomy lacks: records the file holds no readable string in
        failed += f" ({unread} of them unread: the reason names the line to fix)"
    return f"{len(rows) - rejected} of {len(rows)} mapped{some}, {rejected} rejected{failed}"


def _safe(text: str) -> str:
    """Text that can be printed: a lone surrogate (undecodable input) becomes U+FFFD."""
    from tagllm.mapping.keys import SURROGATE

    return SURROGATE.sub("\ufffd", text)


def print_rows(rows: list[dict[str, Any]], output_format: str) -> None:
    import csv
    import io

    from tagllm.io.rows import is_formula

    if output_format == "jsonl":
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
    elif output_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buffer.getvalue(), nl=False)
        first: dict[str, str] = {}  # each column holding a formula's cell -> the row of the first
        for number, row in enumerate(rows, start=1):
            for column, cell in row.items():
                if column not in first and is_formula(cell):
                    first[column] = f"row {number}"
        if first:
            typer.echo(formula_warning("stdout", first), err=True)
    else:
        table: list[tuple[str, ...]] = [("TEXT", "FACET", "ID", "PATH", "METHOD", "SCORE / REASON")]
        for row in rows:
            last = f"{row['score']:.3f}" if row["id"] else str(row["reason"])
            if row["id"] and row["reason"]:  # mapped in part
                last += f" ({row['reason']})"
            cells = (row["facet"], row["id"], row["path"], row["method"])
            table.append((_clip(str(row["text"])), *(str(c) for c in cells), _clip(last, 200)))
        widths = [max(_width(r[i]) for r in table) for i in range(5)]
        for r in table:
            typer.echo("  ".join(c + " " * (w - _width(c)) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5])


def _width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two, so the table stays aligned."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int = 60) -> str:
    """One table line per string, however long or multi-line the string was."""
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= width else text[: width - 1] + "…"

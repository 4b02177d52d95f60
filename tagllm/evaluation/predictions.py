"""Predictions read from a file `tagllm generate` wrote (JSONL, or Parquet's ``result_json``), scored in place of a
variant's tagging (`tagllm eval run --predictions`), and the checks that they are of this sample and its facets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tagllm.errors import InputError, missing_dependency
from tagllm.evaluation.config import EvalConfig, Variant
from tagllm.evaluation.gold import GoldSet
from tagllm.evaluation.tagging import PREDICTIONS_KEY, VariantRun
from tagllm.models import TagResult
from tagllm.taxonomy import Taxonomy


def check_predictions_match(path: str | Path, run: VariantRun, gold: GoldSet, cfg: EvalConfig) -> None:
    """Predictions of none of the gold products (another file's, or ids written otherwise) scored every product a
    miss: a report of zeros, exit 0, that read as a result."""
    if any(item.id in run.results for item in gold.items):
        return
    theirs = ", ".join(repr(pid) for pid in list(run.results)[:3]) + (" …" if len(run.results) > 3 else "")
    ours = ", ".join(repr(item.id) for item in gold.items[:3]) + (" …" if len(gold.items) > 3 else "")
    raise InputError(
        f"{path}: none of its {len(run.results)} prediction(s) is of a product of the sample (its ids: "
        f"{theirs or 'none'}; the sample's: {ours}); score the predictions `tagllm generate` made from {cfg.gold}"
    )


def check_predictions_facets(path: str | Path, gold: GoldSet) -> None:
    """A facet scored that the predictions were never tagged for (`tagllm generate -f category` scored on colour
    too) scored every product a miss, reported as the tagger abstaining on each. The settings record `tagllm generate`
    writes beside its output names the facets it tagged; a file without one is scored as it is."""
    from tagllm.io.resume import output_file
    from tagllm.io.settings import read_settings, settings_path

    target = output_file(Path(path))
    try:
        recorded = read_settings(target)
    except InputError:  # a record that cannot be read says nothing of the facets: the file is scored as it is
        return
    tagged = recorded.get("facets") if recorded is not None else None
    if not isinstance(tagged, list):
        return
    untagged = [facet for facet in gold.facets if facet not in tagged]
    if untagged:
        raise InputError(
            f"{path}: tagged the facets {', '.join(map(str, tagged))} (its settings record, "
            f"{settings_path(target).name}), not {', '.join(untagged)}, which this eval scores: every product would "
            "score a miss there; tag the products again with each facet scored (tagllm generate -f FACET …), or name "
            "the facets to score in the eval config (facets: [...])"
        )


def _prediction_lines(file: Path) -> Iterator[tuple[int, str, bool]]:
    """Each tag result of a predictions file as JSON text, its line (its row, in Parquet), and whether it is the
    file's last line with no line end (a run killed while writing it). A CSV output holds the tags' names alone:
    refused saying what to give; read as JSONL, its header was 'not a tag result'."""
    suffix = file.suffix.lower()
    if suffix == ".csv":
        raise InputError(
            f"{file}: a CSV output holds the tags' names, not the tag results --predictions scores; give the JSONL or "
            "Parquet output of `tagllm generate` (-o results.jsonl or -o results.parquet)"
        )
    if suffix == ".parquet":
        yield from _parquet_results(file)
        return
    data = file.read_bytes()
    lines = data.splitlines()
    unended = len(lines) if data and not data.endswith((b"\n", b"\r")) else 0
    for lineno, raw in enumerate(lines, 1):
        try:
            yield lineno, raw.decode("utf-8-sig" if lineno == 1 else "utf-8"), lineno == unended
        except UnicodeDecodeError as exc:
            if lineno == unended:  # a torn last line may end inside a character
                yield lineno, raw.decode("utf-8", errors="replace"), True
                continue
            raise InputError(
                f"{file}:{lineno}: not UTF-8 (byte {exc.start} is 0x{raw[exc.start]:02x}); tag results are the JSONL "
                "`tagllm generate` writes"
            ) from None


def _named(line: str) -> str:
    """The product a line that is no tag result is of, for its error to name (a line cut short: the user looked for
    it by its line alone); else nothing."""
    product_id = _line_product(line)
    return f" (product {product_id!r})" if product_id else ""


def _line_product(line: str) -> str | None:
    """The product id a line that is no tag result gives before its fault, or None."""
    from tagllm.io.partial_json import leading_fields

    product_id = leading_fields(line).get("product_id")
    return product_id if isinstance(product_id, str) and product_id.strip() else None


def _parquet_results(file: Path) -> Iterator[tuple[int, str, bool]]:
    """The ``result_json`` cells of a Parquet output of `tagllm generate`, each with its row (from 1)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise missing_dependency("pyarrow", "parquet", "reading Parquet predictions") from None
    try:
        table = pq.read_table(file, columns=["result_json"])
    except (OSError, ValueError, KeyError) as exc:  # not Parquet, or no result_json column
        raise InputError(
            f"{file}: not a Parquet output of `tagllm generate` with its result_json column ({exc}); give the "
            "JSONL or Parquet output it writes"
        ) from None
    for row, cell in enumerate(table.column("result_json").to_pylist(), 1):
        yield row, cell or "", False


def load_predictions(path: str | Path, variant: Variant, taxonomy: Taxonomy) -> VariantRun:
    """Read TagResults from a JSONL file, or the ``result_json`` column of a Parquet output; refuse results made
    against another taxonomy version."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{file}: no such predictions file")
    results: dict[str, TagResult] = {}
    first_line: dict[str, int] = {}
    repeated: list[dict[str, Any]] = []
    torn: list[dict[str, Any]] = []
    for lineno, line, unended in _prediction_lines(file):
        if not line.strip():
            continue
        try:
            result = TagResult.model_validate_json(line)
        except ValidationError as exc:
            if unended:  # a killed run's last line, as --resume reads it: its product is missing, said in the report
                torn.append(_torn(lineno, line, exc))
                continue
            raise InputError(f"{file}:{lineno}: not a tag result{_named(line)}: {_first_problem(exc)}") from None
        version = result.provenance.taxonomy_version if result.provenance else None
        if version is not None and version != taxonomy.version:
            raise InputError(
                f"{file}:{lineno}: these predictions were made against taxonomy version {version}, but "
                f"the eval config's taxonomy {taxonomy.name!r} is version {taxonomy.version}; "
                "tag again with this taxonomy"
            )
        if result.product_id in first_line:  # the last is scored, as --resume reads an output; said in the report
            repeated.append(
                {"product_id": result.product_id, "line": lineno, "first_line": first_line[result.product_id]}
            )
        first_line.setdefault(result.product_id, lineno)
        results[result.product_id] = result
    latency = {pid: (r.provenance.latency_ms or 0.0) / 1000 if r.provenance else 0.0 for pid, r in results.items()}
    return VariantRun(
        variant,
        results,
        latency,
        cached=len(results),
        tagged=0,
        setup_s=0.0,
        key=PREDICTIONS_KEY + str(file),
        repeated=repeated,
        torn=torn,
    )


def _torn(lineno: int, line: str, exc: ValidationError) -> dict[str, Any]:
    """A torn last line as the report names it: its line, its product where the line gives it, and the fault."""
    entry: dict[str, Any] = {"line": lineno, "message": _first_problem(exc)}
    if product_id := _line_product(line):
        entry["product_id"] = product_id
    return entry


def _first_problem(exc: ValidationError) -> str:
    """Pydantic's first complaint with the place it is about: "Field required" alone named no field, and a
    hand-made predictions file left its writer to guess which of a result's fields was missing."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def unknown_predictions(run: VariantRun, gold: GoldSet, taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """The predicted tags of the sample's products that are no value of this taxonomy's facet, read from a file
    written by another tool, or against another taxonomy without the provenance that says which. Each is still scored
    a miss, and is now named in the report's input problems: it was counted a wrong answer without a word. A run the
    tagger made has none (its tags are the taxonomy's values)."""
    if not run.is_from_file:
        return []
    unknown = []
    for item in gold.items:
        result = run.results.get(item.id)
        for facet, tags in result.tags.items() if result is not None else ():
            for tag in tags:
                reason = _not_a_value(taxonomy, facet, tag.id)
                if reason is not None:
                    unknown.append({"product_id": item.id, "facet": facet, "value": tag.id, "reason": reason})
    return unknown


def foreign_predictions(run: VariantRun, gold: GoldSet) -> list[str]:
    """The products a predictions file scores that the gold file has no record of (of any split), in the file's
    order: each was left out of the scores without a word, so a file of another catalogue, or ids written otherwise,
    looked fully used."""
    if not run.is_from_file:
        return []
    known = gold.ids or {item.id for item in gold.items}
    return [product_id for product_id in run.results if product_id not in known]


def _not_a_value(taxonomy: Taxonomy, facet: str, value_id: str) -> str | None:
    """Why ``value_id`` is no value of ``facet`` in this taxonomy; None when it is one."""
    value = taxonomy.values.get(value_id)
    if value is None:
        return "not in taxonomy"
    if value.facet != facet:
        return f"a value of {value.facet}, not of {facet}"
    return None

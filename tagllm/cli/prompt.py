"""`tagllm prompt render`: print exactly the messages a backend would receive for a product."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tagllm.cli.common import PLAIN_HELP, build_config, parse_fields
from tagllm.cli.options import (
    ColumnsOpt,
    ConfigOpt,
    ExamplesOpt,
    FacetsOpt,
    IgnoreFieldsOpt,
    IndexOpt,
    KOpt,
    LabelFieldOpt,
    MaxCandidatesOpt,
    PromptOpt,
    TaxonomyOpt,
)
from tagllm.errors import ConfigError

if TYPE_CHECKING:
    from tagllm.backends.base import GenerationRequest
    from tagllm.models import Product
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import Taxonomy

app = typer.Typer(help="Render and inspect prompt templates.", no_args_is_help=True, rich_markup_mode=PLAIN_HELP)


def _settings(config: str | None, **flags: Any) -> tuple[Any, Any]:
    """The tagger settings to render with, and the eval config they come from (None for a tagger config): an analyst
    iterating on an eval's prompt passes the eval config (--config eval/flipkart-vllm.yaml), whose every top-level key
    was refused as "no such setting", seven lines of them; its ``tagger:`` section is read, the flags over it."""
    from tagllm.yaml_files import read_yaml_mapping

    if config is None or not Path(config).is_file():
        return build_config(config, **flags), None
    data = read_yaml_mapping(Path(config), "a config file")
    if not isinstance(data.get("tagger"), dict) or "gold" not in data:
        return build_config(config, **flags), None
    from tagllm.evaluation.config import load_eval_config

    evaluation = load_eval_config(config)
    given = {k: v for k, v in flags.items() if v not in (None, [], ())}
    return evaluation.tagger.with_overrides(**given), evaluation


def _warn_about_unknown_keys(data: dict[str, Any]) -> None:
    """A --product key that is no product field ('brnd') is in no prompt: said, as generate says it of a column, so
    that the analyst does not read the render as the prompt of a product with that field."""
    from tagllm.io import Record, unknown_columns

    for key, guess in unknown_columns([Record(0, data)]).items():
        hint = f" (did you mean {guess!r}?)" if guess else ""
        typer.echo(
            f"warning: --product: key {key!r} is not a product field{hint}; kept in extra, which no template shows",
            err=True,
        )


def _product(
    product: str | None,
    input: str | None,
    product_id: str | None,
    columns: dict[str, str],
    seen: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Any:
    """The product to render; an invalid one is refused with the message of the error record generate writes for
    it (it was said to be no product of the file, or crashed with pydantic's traceback given as --product). ``seen``:
    what the tagger reads of a record of --input (an eval's gold record without its answers and hidden fields)."""
    from tagllm.errors import InputError
    from tagllm.io import Record, RecordSource, to_product
    from tagllm.io.readers import rename_columns
    from tagllm.models import RecordError

    if product is not None:
        try:
            data = json.loads(product)
        except json.JSONDecodeError as exc:
            raise InputError(f'--product is not JSON ({exc.msg}); pass an object like \'{{"title": "…"}}\'') from None
        if not isinstance(data, dict):
            raise InputError("--product must be a JSON object with at least a title")
        data = rename_columns(data, columns)  # the product as a row of the input generate reads with --columns
        _warn_about_unknown_keys(data)
        data.setdefault("id", "product")
        given = to_product(Record(0, data), "")
        if isinstance(given, RecordError):
            raise InputError(f"--product: {given.message}")
        return given
    if input is None:
        raise InputError('give the product: --product \'{"title": "…"}\' or --input FILE [--id ID]')
    first_error: RecordError | None = None
    invalid = 0
    records = RecordSource(input, columns=columns)
    for record in records:
        if seen is not None and record.data is not None:
            record = Record(record.line, seen(record.data))
        item = to_product(record, records.name)
        if isinstance(item, RecordError):
            if product_id is not None and item.record_id == product_id:
                raise InputError(item.message)
            first_error = first_error or item
            invalid += 1
            continue
        if product_id is None or item.id == product_id:
            if product_id is None and first_error is not None:
                # the analyst reads the render as the file's first record: say it is not, and why
                typer.echo(
                    f"note: rendering {item.id!r} (line {record.line}), the first valid product; "
                    f"{invalid} record(s) before it are invalid, the first: {first_error.message}",
                    err=True,
                )
            return item
    if product_id:
        raise InputError(f"{input}: no product with id {product_id!r}")
    raise InputError(f"{input}: no valid product" + (f"; the first: {first_error.message}" if first_error else ""))


def _token_counts(tokenizer_dir: str, messages: list[dict[str, Any]], static: list[dict[str, Any]] | str) -> str:
    """Prompt tokens under the model's chat template, and how many of them are the prefix every product shares
    (``static``: the messages of a stand-in product, or why they could not be rendered)."""
    try:
        from transformers import AutoTokenizer
    except ImportError:
        return "(token counts need transformers: pip install 'tagllm[transformers]')"
    from tagllm.backends.base import message_text
    from tagllm.backends.chat import chat_text

    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    except (OSError, ValueError) as exc:  # a directory without tokenizer files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"--tokenizer {tokenizer_dir}: no tokenizer could be loaded from it ({first})") from None
    photos = sum(isinstance(m["content"], list) and any(p["type"] == "image" for p in m["content"]) for m in messages)
    messages = [{**m, "content": message_text(m["content"])} for m in messages]
    ids = tokenizer(chat_text(tokenizer, messages), add_special_tokens=False)["input_ids"]
    counted = f"prompt tokens: {len(ids)} ({tokenizer_dir} chat template), "
    if isinstance(static, str):
        return counted + f"shared static prefix not measured: {static}" + (", photos not counted" if photos else "")
    other = tokenizer(chat_text(tokenizer, static), add_special_tokens=False)["input_ids"]
    shared = next((i for i, (a, b) in enumerate(zip(ids, other, strict=False)) if a != b), min(len(ids), len(other)))
    return (
        counted
        + f"shared static prefix: {shared} ({shared / max(len(ids), 1):.0%})"
        + (", photos not counted" if photos else "")
    )


def _shown(content: str | list[dict[str, Any]]) -> str:
    """A message's text, with ``[photo N: source]`` where a photo is placed."""
    if isinstance(content, str):
        return content
    return "\n".join(
        part["text"] if part["type"] == "text" else f"[photo {part['index'] + 1}: {part['source']}]" for part in content
    )


@app.command()
def render(
    product: str | None = typer.Option(None, "--product", help="the product as a JSON object"),
    input: str | None = typer.Option(None, "--input", "-i", help="products file (JSONL, CSV, Parquet)"),
    product_id: str | None = typer.Option(None, "--id", help="which product of --input (default: the first valid one)"),
    columns: ColumnsOpt = None,
    config: ConfigOpt = None,
    taxonomy: TaxonomyOpt = None,
    examples: ExamplesOpt = None,
    index: IndexOpt = None,
    label_field: LabelFieldOpt = None,
    prompt: PromptOpt = None,
    facet: FacetsOpt = [],  # noqa: B006  (typer reads the default; the list is never mutated)
    k: KOpt = None,
    max_candidates: MaxCandidatesOpt = None,
    ignore_fields: IgnoreFieldsOpt = None,
    model: str | None = typer.Option(None, "--model", "-m", help="model directory: its tokenizer counts tokens"),
    tokenizer: str | None = typer.Option(
        None, help="tokenizer directory for token counts (default: --model when it is a directory)"
    ),
    attribute_mode: str | None = typer.Option(None, help="two_step | one_call (LLMs tagging category and attributes)"),
    category: str | None = typer.Option(
        None, "--category", help="two_step: the category id whose attribute step to show (default: the top candidate)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print messages, schema and template as JSON"),
) -> None:
    """Print the chat messages (and with --json the answer schema) a backend would receive for one product.

    In two_step mode (attribute_mode) both steps are shown: the category, then the attributes of a category."""
    from tagllm.assembly import with_index_settings
    from tagllm.errors import InputError
    from tagllm.io import parse_columns
    from tagllm.taxonomy import CATEGORY, load_taxonomy

    if product is not None and (input is not None or product_id is not None):
        # --product won, silently: the render was read as that of the file's product (or of --id's)
        given = " and ".join(f for f, v in (("--input", input), ("--id", product_id)) if v is not None)
        raise InputError(
            f"--product and {given} are both given: render either the product given as JSON or one of a file"
        )
    if tokenizer is not None and not Path(tokenizer).is_dir():
        # A hub id would mean a download; tagllm never fetches weights or tokenizers itself.
        raise ConfigError(
            f"--tokenizer {tokenizer!r} is not a directory: token counts need the tokenizer on disk; download it "
            "first (e.g. `huggingface-cli download ORG/NAME --local-dir DIR`) and pass the directory"
        )
    cfg, evaluation = _settings(
        config, taxonomy=taxonomy, examples=examples, index=index, label_field=label_field, prompt=prompt,
        facets=facet or None, k=k, max_candidates=max_candidates, model=model, attribute_mode=attribute_mode,
        ignore_fields=parse_fields(ignore_fields),
    )  # fmt: skip
    cfg = with_index_settings(cfg)  # the index's taxonomy, fields and encoder where the flags do not set them
    item = _product(product, input, product_id, parse_columns(columns), _seen(evaluation))
    tax = load_taxonomy(cfg.taxonomy)
    if category is not None and (category not in tax.values or tax.values[category].facet != CATEGORY):
        raise InputError(f"--category {category!r} is not a category id of taxonomy {tax.name!r}")
    shown = _steps(_capturing_tagger(cfg, tax, input), item, category)
    tokenizer_dir = tokenizer or (cfg.model if cfg.model and Path(cfg.model).is_dir() else None)
    counts = [_counts(tokenizer_dir, step) if tokenizer_dir else None for step in shown]
    if as_json:
        parts = [_as_json(step, count) for step, count in zip(shown, counts, strict=True)]
        out = parts[0]
        if len(parts) > 1:
            out["attribute_step"] = parts[1]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for step, count in zip(shown, counts, strict=True):
        _echo_step(step, count, tax, category)


def _seen(evaluation: Any) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """What the tagger reads of a record of --input: with an eval config, a gold record as the eval's tagger reads
    it (no answers, no hidden fields); otherwise the record as it is (None)."""
    if evaluation is None:
        return None
    from tagllm.evaluation.gold import strip_answers

    def seen(data: dict[str, Any]) -> dict[str, Any]:
        return strip_answers(data, evaluation)

    return seen


def _capturing_tagger(cfg: Any, tax: Taxonomy, input: str | None) -> Tagger:
    """The tagger ``cfg`` describes, its backend one that keeps the requests it is given instead of answering."""
    from tagllm.assembly import open_index
    from tagllm.backends.chat import reads_images
    from tagllm.cli.capture import CaptureBackend
    from tagllm.retrieval.embedder import Embedder
    from tagllm.tagger import Tagger

    embedder = Embedder.from_config(cfg)
    capture = CaptureBackend(cfg.backend, cfg.model, supports_images=reads_images(cfg))
    tagger = Tagger(tax, index=open_index(cfg, tax, embedder), embedder=embedder, backend=capture, config=cfg)
    if input is not None and tagger.image_root is None:
        tagger.image_root = Path(input).resolve().parent  # the file's relative image paths start beside it
    return tagger


def _steps(tagger: Tagger, item: Product, category: str | None) -> list[_Step]:
    """The requests the tagger would send for ``item``: one, or in two_step mode the category's and the attributes'
    of ``category`` (by default the top category candidate)."""
    from tagllm.errors import InputError
    from tagllm.taxonomy import CATEGORY

    steps = tagger.steps
    assert steps is not None  # CaptureBackend needs a prompt, so the tagger built the LLM steps
    if category is not None and not steps.is_two_step:
        raise InputError(_no_attribute_step(category, steps))
    scored = tagger.score([item])[0]
    shown = [_Step("category" if steps.is_two_step else None, steps.prompt, steps.first(scored), None)]
    if steps.is_two_step:
        chosen = category or next((c.id for c in scored.candidates.get(CATEGORY, [])), None)
        second = steps.second(scored, chosen)
        if second is not None:
            shown.append(_Step("attributes", steps.attribute_prompt, second, chosen))
    return shown


def _echo_step(step: _Step, count: str | None, tax: Taxonomy, category: str | None) -> None:
    """Print a step's messages as text, with its template and how long it is."""
    from tagllm.backends.base import message_text

    if step.name == "category":
        typer.echo("### step 1: the category")
    elif step.name == "attributes":
        which = "the top category candidate; another with --category ID" if category is None else "--category"
        path = tax.path_of(step.category) if step.category else "an unknown category"
        typer.echo(f"### step 2: the attributes of {path!r} ({which})")
    messages = step.request.messages or []
    for message in messages:
        typer.echo(f"=== {message['role']} ===")
        typer.echo(_shown(message["content"]))
    typer.echo(f"--- template {step.prompt.name} ({step.prompt.path}), hash {step.prompt.hash}")
    for use in step.request.image_uses:
        if use.error:
            typer.echo(f"--- photo not shown: {use.error}")
    chars = sum(len(message_text(m["content"])) for m in messages)
    typer.echo(f"--- {len(messages)} messages, {chars} characters" + (f"; {count}" if count else ""))


def _no_attribute_step(category: str, steps: Any) -> str:
    """Why ``--category`` has no attribute step to show: rendering the one request instead said nothing of it."""
    asked = f"--category {category!r} picks the category whose attribute step is shown, but"
    if not steps.has_attributes:
        return (
            f"{asked} the facets tagged ({', '.join(steps.facets)}) are asked in one request, with no attribute step; "
            "tag the category and an attribute (-f category -f color) with --attribute-mode two_step to see it"
        )
    return f"{asked} this run asks the category and the attributes in one call; add --attribute-mode two_step"


@dataclass
class _Step:
    name: str | None  # None: the single request of a one-call run
    prompt: Any
    request: GenerationRequest
    category: str | None


def _counts(tokenizer_dir: str, step: _Step) -> str:
    """The step's token counts; the shared prefix is measured against a stand-in product (no text, candidates or
    examples), which a template that reads a key of this product's attributes cannot render: that template stopped
    the render with an error it does not make in a run."""
    from tagllm.models import Product

    product = step.request.product
    stand_in = Product(id="_", title="_", attributes=dict.fromkeys(product.attributes, "_"))
    try:
        static: list[dict[str, Any]] | str = step.prompt.render(
            stand_in, {f: [] for f in step.request.candidates}, [], category=step.category
        )
    except ConfigError as exc:
        static = f"the template does not render for a product without text, candidates or examples ({exc})"
    return _token_counts(tokenizer_dir, step.request.messages or [], static)


def _as_json(step: _Step, counts: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"template": step.prompt.name, "template_hash": step.prompt.hash}
    if step.category is not None:
        out["category"] = step.category
    out |= {"messages": step.request.messages or [], "schema": step.request.schema}
    if counts:
        out["tokens"] = counts
    return out

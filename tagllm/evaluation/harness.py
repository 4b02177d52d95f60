"""The evaluation harness: eval configs, gold and sampling, cached tagging of variants, run directories."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tagllm.config import TaggerConfig, read_yaml_mapping
from tagllm.errors import ConfigError, InputError, RunFailedError
from tagllm.models import GOLD_PREFIX, Product, RecordError, TagResult
from tagllm.taxonomy import PATH_SEPARATOR, Taxonomy
from tagllm.text import normalize

# Settings that change how fast a run goes but never what it predicts: they stay out of the cache key.
_NOT_IN_CACHE_KEY = ("batch_size", "device")
_PATH_KEYS = ("taxonomy", "examples", "index", "embedder", "prompt", "image_embedder", "image_root")


class SampleSpec(BaseModel):
    """Which gold products a run scores: all, the first N, or N drawn at random with a seed."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["all", "first", "random"] = "all"
    n: int | None = Field(None, ge=0)
    seed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `sample: all` and `sample: 200` (first 200) read naturally in an analyst's YAML.
        if data == "all" or data is None:
            return {"mode": "all"}
        if isinstance(data, int) and not isinstance(data, bool):
            return {"mode": "first", "n": data}
        return data

    @model_validator(mode="after")
    def _needs_n(self) -> SampleSpec:
        if self.mode != "all" and self.n is None:
            raise ValueError(f"sample mode {self.mode!r} needs n (how many products)")
        return self

    def describe(self) -> str:
        if self.mode == "all":
            return "all"
        return f"first {self.n}" if self.mode == "first" else f"random {self.n} (seed {self.seed})"


class EvalConfig(BaseModel):
    """An evaluation: gold data, the tagger settings to score, the sample, the split and swept settings."""

    model_config = ConfigDict(extra="forbid")

    name: str = "eval"
    description: str = ""
    gold: str = Field(description="gold products (JSONL/CSV/Parquet) with their answers in `gold_field`")
    gold_field: str = Field(
        "gold_category", description='"A > B > C" or an id (category), a list, or {facet: [ids or paths]}'
    )
    gold_attribute_field: str | None = Field(
        None,
        description='gold "Key: Value" attribute tags (e.g. gold_attribute_tags) scored on the facets their keys name; '
        "keys that name no facet of the taxonomy are not scored",
    )
    facets: list[str] | None = Field(None, description="facets to score (default: those the gold labels name)")
    split: str | None = Field(None, description="score only gold records whose `split_field` equals this")
    split_field: str = "split"
    sample: SampleSpec = Field(default_factory=lambda: SampleSpec(mode="all", n=None, seed=0))
    hide_fields: list[str] = Field(
        default_factory=list,
        description="product fields removed before tagging (e.g. attributes holding answers)",
    )
    tagger: TaggerConfig = Field(default_factory=TaggerConfig)  # type: ignore[arg-type]
    sweep: dict[str, list[Any]] = Field(default_factory=dict, description="tagger setting -> values to compare")
    output: str = Field("runs", description="directory the run directories are written under")
    cache: str = Field(".cache", description="prediction cache directory (re-runs only tag what changed)")
    target_precision: float = Field(0.9, gt=0.0, le=1.0, description="precision the threshold suggestion aims at")
    route_target: float = Field(
        0.98,
        gt=0.0,
        le=1.0,
        description="accuracy of the products the default keeps that the routing suggestion aims at",
    )
    bootstrap: int = Field(1000, ge=0, description="bootstrap resamples for confidence intervals (0: none)")
    seed: int = 0
    near_duplicate: float = Field(0.95, gt=0.0, le=1.0, description="neighbour score for 'near-identical'")
    max_examples: int = Field(25, ge=0, description="error examples listed in the report")

    @field_validator("sweep")
    @classmethod
    def _sweep_fields(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in value.items():
            if key not in TaggerConfig.model_fields:
                raise ValueError(f"sweep key {key!r} is not a tagger setting ({', '.join(TaggerConfig.model_fields)})")
            if not isinstance(values, list) or not values:
                raise ValueError(f"sweep {key!r} needs a non-empty list of values")
        return value


def _resolve(base: Path, value: str | None) -> str | None:
    if value is None:
        return None
    candidate = base / value
    return str(candidate) if not Path(value).is_absolute() and candidate.exists() else value


def load_eval_config(path: str | Path, **overrides: Any) -> EvalConfig:
    """Read an eval config (YAML); relative paths are taken relative to the config file's directory."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"eval config {file} does not exist")
    data = read_yaml_mapping(file, "an eval config")
    base = file.resolve().parent
    data.setdefault("name", file.stem)
    for key in ("gold",):
        if isinstance(data.get(key), str):
            data[key] = _resolve(base, data[key])
    for key in ("output", "cache"):
        data[key] = str(base / data.get(key, EvalConfig.model_fields[key].default))
    tagger = dict(data.get("tagger") or {})
    # A model directory next to the config is found like its other files; an openai model is a served name.
    path_keys = (*_PATH_KEYS, "model") if tagger.get("backend") in ("transformers", "vllm") else _PATH_KEYS
    for key in path_keys:
        if isinstance(tagger.get(key), str):
            tagger[key] = _resolve(base, tagger[key])
    sweep = data.get("sweep") or {}
    if isinstance(sweep, dict) and isinstance(sweep.get("prompt"), list):
        sweep["prompt"] = [_resolve(base, p) if isinstance(p, str) else p for p in sweep["prompt"]]
    data["tagger"] = tagger
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return EvalConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{file}: invalid eval config:\n" + "\n".join(lines)) from None


# -- variants ------------------------------------------------------------------------------------------------
@dataclass
class Variant:
    """One tagger configuration to score; a sweep makes several on the same sample."""

    name: str
    config: TaggerConfig
    settings: dict[str, Any] = field(default_factory=dict)


def _short(value: Any) -> str:
    if isinstance(value, list):  # e.g. inputs: [text, image] -> text+image
        return "+".join(_short(v) for v in value)
    text = str(value)
    return Path(text).stem if ("/" in text or "\\" in text) else text


def variants(cfg: EvalConfig) -> list[Variant]:
    """The cartesian product of the swept settings (one variant, 'base', without a sweep)."""
    if not cfg.sweep:
        return [Variant("base", cfg.tagger)]
    keys = list(cfg.sweep)
    out = []
    for combo in itertools.product(*(cfg.sweep[k] for k in keys)):
        settings = dict(zip(keys, combo, strict=True))
        data = cfg.tagger.model_dump()
        data.update(settings)
        try:
            config = TaggerConfig.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"sweep {settings}: {exc.errors()[0]['msg']}") from None
        name = ",".join(f"{k}={_short(v)}" for k, v in settings.items())
        out.append(Variant(name, config, settings))
    return out


# -- gold ----------------------------------------------------------------------------------------------------
@dataclass
class GoldItem:
    """One gold product: what the tagger may see, and the answers it may not."""

    id: str
    record: dict[str, Any]
    gold: dict[str, list[str]]
    line: int = 0

    @property
    def title(self) -> str:
        return str(self.record.get("title") or "")


@dataclass
class GoldSet:
    """The scored sample and what was wrong with the gold file."""

    items: list[GoldItem]
    facets: list[str]
    total_records: int
    in_split: int
    unknown: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[dict[str, Any]] = field(default_factory=list)


class GoldResolver:
    """Maps a gold value (an id, a path "A > B > C", or a unique name) to a taxonomy id, per facet."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self._keys: dict[tuple[str, str], str | None] = {}
        for value in taxonomy.values.values():
            keys = {normalize(value.id)}
            if value.path:
                keys.add(self._path_key(value.path))
            keys.add(normalize(value.name))
            for key in keys:
                slot = (value.facet, key)
                # A name shared by two values is ambiguous: remember that so it is reported, not guessed.
                if slot in self._keys and self._keys[slot] != value.id:
                    self._keys[slot] = None
                else:
                    self._keys[slot] = value.id

    @staticmethod
    def _path_key(path: str) -> str:
        return PATH_SEPARATOR.join(normalize(p) for p in path.split(">") if p.strip())

    def resolve(self, facet: str, raw: str) -> str | None:
        if raw in self.taxonomy and self.taxonomy[raw].facet == facet:
            return raw
        key = self._path_key(raw) if ">" in raw else normalize(raw)
        return self._keys.get((facet, key))


def _gold_values(raw: Any, default_facet: str) -> dict[str, list[str]]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return {str(f): ([str(x) for x in v] if isinstance(v, list) else [str(v)]) for f, v in raw.items() if v}
    if isinstance(raw, list):
        return {default_facet: [str(x) for x in raw]}
    return {default_facet: [str(raw)]}


def strip_answers(record: dict[str, Any], cfg: EvalConfig) -> dict[str, Any]:
    """The record the tagger sees: no ``gold_*`` field, no gold field, no split marker, no hidden field."""
    hidden = {cfg.gold_field, cfg.split_field, *cfg.hide_fields}
    if cfg.gold_attribute_field:
        hidden.add(cfg.gold_attribute_field)
    return {k: v for k, v in record.items() if not k.startswith(GOLD_PREFIX) and k not in hidden}


def load_gold(cfg: EvalConfig, taxonomy: Taxonomy) -> GoldSet:
    """Read the gold file, keep the split, resolve answers onto the taxonomy and draw the sample."""
    from tagllm.io import read_records

    default_facet = next((f for f, spec in taxonomy.facets.items() if spec.hierarchical), next(iter(taxonomy.facets)))
    resolver = GoldResolver(taxonomy)
    attributes = None
    if cfg.gold_attribute_field:
        from tagllm.attributes import AttributeResolver

        attributes = AttributeResolver(taxonomy)
    items: list[GoldItem] = []
    unknown: list[dict[str, Any]] = []
    unreadable: list[dict[str, Any]] = []
    total = 0
    for record in read_records(cfg.gold):
        total += 1
        if record.data is None:
            unreadable.append({"line": record.line, "message": record.error.message if record.error else "unreadable"})
            continue
        data = record.data
        if cfg.split is not None and str(data.get(cfg.split_field)) != cfg.split:
            continue
        pid = str(data.get("id") or f"line-{record.line}")
        gold: dict[str, list[str]] = {}
        for facet, values in _gold_values(data.get(cfg.gold_field), default_facet).items():
            if facet not in taxonomy.facets:
                unknown.extend(
                    {"product_id": pid, "facet": facet, "value": v, "reason": "unknown facet"} for v in values
                )
                continue
            for value in values:
                vid = resolver.resolve(facet, value)
                if vid is None:
                    unknown.append({"product_id": pid, "facet": facet, "value": value, "reason": "not in taxonomy"})
                else:
                    gold.setdefault(facet, []).append(vid)
        if attributes is not None and cfg.gold_attribute_field:
            labels, unresolved = attributes.resolve(data.get(cfg.gold_attribute_field))
            for facet, ids in labels.items():
                gold.setdefault(facet, []).extend(i for i in ids if i not in gold.get(facet, []))
            for key, value, why in unresolved:
                facet = attributes.facet(key) or key
                # keys naming no facet were left out on purpose (free text, codes): not reported
                if why == "not in taxonomy" and (cfg.facets is None or facet in cfg.facets):
                    unknown.append({"product_id": pid, "facet": facet, "value": value, "reason": why})
        items.append(GoldItem(pid, strip_answers(data, cfg), gold, record.line))
    in_split = len(items)
    facets = cfg.facets or sorted({f for item in items for f in item.gold}, key=list(taxonomy.facets).index)
    for facet in facets:
        if facet not in taxonomy.facets:
            raise ConfigError(f"facet {facet!r} is not in taxonomy {taxonomy.name!r} ({', '.join(taxonomy.facets)})")
    items = _sample(items, cfg.sample)
    if not items:
        where = f" in split {cfg.split!r} (field {cfg.split_field!r})" if cfg.split is not None else ""
        raise InputError(
            f"the sample is empty: {cfg.gold} has {total} record(s), {in_split}{where}, "
            f"sample {cfg.sample.describe()}; nothing to evaluate"
        )
    return GoldSet(items, facets, total, in_split, unknown, unreadable)


def _sample(items: list[GoldItem], spec: SampleSpec) -> list[GoldItem]:
    if spec.mode == "all" or spec.n is None:
        return items
    if spec.mode == "first":
        return items[: spec.n]
    import random

    rng = random.Random(spec.seed)
    chosen = sorted(rng.sample(range(len(items)), min(spec.n, len(items))))
    return [items[i] for i in chosen]


# -- cache ---------------------------------------------------------------------------------------------------
def _file_digest(spec: str | Path | None, pattern: str = "*") -> str | None:
    """The content hash of a file, or of the files matching ``pattern`` under a directory (with their names)."""
    if not spec:
        return None
    path = Path(spec)
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.rglob(pattern) if p.is_file()):
            digest.update(str(child.relative_to(path)).encode())
            digest.update(hashlib.sha256(child.read_bytes()).digest())
        return digest.hexdigest()[:16]
    return None


def template_digest(prompt: str) -> str | None:
    """The content hash of a prompt template, so editing one template invalidates only its variant."""
    from tagllm.prompts import resolve_prompt_path

    try:
        return _file_digest(str(resolve_prompt_path(prompt)))
    except ConfigError:
        return None


def attribute_template_digest(config: TaggerConfig) -> str | None:
    """The content hash of the attribute step's template (two_step), when there is one of its own."""
    from tagllm.llm_steps import attribute_prompt_path
    from tagllm.prompts import resolve_prompt_path

    try:
        path = attribute_prompt_path(resolve_prompt_path(config.prompt), config.attribute_prompt)
    except ConfigError:
        return None
    return _file_digest(str(path)) if path is not None else None


@functools.cache
def code_digest() -> str:
    """The content hash of tagllm's own source: a new scorer or mapper must not be credited with old predictions."""
    return _file_digest(Path(__file__).resolve().parents[1], "*.py") or ""


def variant_key(config: TaggerConfig, taxonomy: Taxonomy, hide_fields: Sequence[str]) -> str:
    """What a prediction depends on: settings, file contents (taxonomy, examples, index, template), tagllm's code."""
    settings = {k: v for k, v in config.model_dump().items() if k not in _NOT_IN_CACHE_KEY}
    parts = {
        "code": code_digest(),
        "settings": settings,
        "taxonomy": taxonomy.version,
        "examples": _file_digest(config.examples),
        "index": _file_digest(config.index),
        "template": template_digest(config.prompt),
        "attribute_template": attribute_template_digest(config),
        "hide": sorted(hide_fields),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def product_key(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:20]


class PredictionCache:
    """Per-variant JSONL of results keyed by product content, appended as products are tagged."""

    def __init__(self, directory: Path, key: str):
        self.path = directory / f"{key}.jsonl"
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interrupted run: that product is simply tagged again
                self.entries[entry["key"]] = entry

    def get(self, key: str) -> tuple[TagResult, float] | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        return TagResult.model_validate(entry["result"]), float(entry.get("seconds", 0.0))

    def put(self, items: list[tuple[str, TagResult, float]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            for key, result, seconds in items:
                entry = {"key": key, "result": result.model_dump(mode="json"), "seconds": seconds}
                self.entries[key] = entry
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


# -- running -------------------------------------------------------------------------------------------------
TaggerFactory = Callable[[TaggerConfig], Any]


def _default_factory(config: TaggerConfig) -> Any:
    from tagllm.tagger import Tagger

    return Tagger.from_config(config)


@dataclass
class VariantRun:
    """The predictions of one variant on the sample, and how they were obtained."""

    variant: Variant
    results: dict[str, TagResult]
    seconds: dict[str, float]
    cached: int
    tagged: int
    setup_s: float
    key: str


def _to_product(item: GoldItem) -> Product | RecordError:
    try:
        return Product.model_validate(item.record)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"])) or None
        return RecordError(field=where, line=item.line, message=f"gold line {item.line}: {where}: {err['msg']}")


def tag_variant(
    variant: Variant,
    gold: GoldSet,
    taxonomy: Taxonomy,
    cfg: EvalConfig,
    *,
    factory: TaggerFactory | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> VariantRun:
    """Tag the sample with one variant, reusing cached predictions for products already tagged by it."""
    key = variant_key(variant.config, taxonomy, cfg.hide_fields)
    cache = PredictionCache(Path(cfg.cache), key) if use_cache else None
    results: dict[str, TagResult] = {}
    seconds: dict[str, float] = {}
    todo: list[tuple[GoldItem, str]] = []
    for item in gold.items:
        pkey = product_key(item.record)
        hit = cache.get(pkey) if cache else None
        if hit is not None:
            results[item.id], seconds[item.id] = hit
        else:
            todo.append((item, pkey))
    cached = len(gold.items) - len(todo)
    setup_s = 0.0
    if todo:
        if progress:
            progress(f"{variant.name}: tagging {len(todo)} product(s), {cached} from cache")
        start = time.perf_counter()
        tagger = (factory or _default_factory)(variant.config)
        if getattr(tagger, "image_root", False) is None:  # the gold file's relative image paths start beside it
            tagger.image_root = Path(cfg.gold).resolve().parent
        setup_s = time.perf_counter() - start
        batch = max(1, variant.config.batch_size)
        for offset in range(0, len(todo), batch):
            chunk = todo[offset : offset + batch]
            products: list[Product] = []
            positions: list[int] = []
            new: list[tuple[str, TagResult, float]] = []
            for i, (item, _) in enumerate(chunk):
                product = _to_product(item)
                if isinstance(product, RecordError):
                    results[item.id] = TagResult(product_id=item.id, status="error", error=product)
                    seconds[item.id] = 0.0
                else:
                    products.append(product)
                    positions.append(i)
            start = time.perf_counter()
            tagged = tagger.tag(products) if products else []
            per_product = (time.perf_counter() - start) / max(1, len(products))
            for i, result in zip(positions, tagged, strict=True):
                item, pkey = chunk[i]
                results[item.id] = result
                seconds[item.id] = per_product
                # Failed records are not cached: a transient backend error should be retried next run.
                if result.status == "ok":
                    new.append((pkey, result, per_product))
            if cache is not None:
                cache.put(new)
        close = getattr(getattr(tagger, "backend", None), "close", None)
        if callable(close):
            close()
    elif progress:
        progress(f"{variant.name}: all {cached} product(s) from cache")
    return VariantRun(variant, results, seconds, cached, len(todo), setup_s, key)


# -- run directories -----------------------------------------------------------------------------------------
@dataclass
class EvalOutcome:
    """What `tagllm eval run` produced: one run directory per variant and, for several, a comparison."""

    root: Path
    runs: list[Path]
    metrics: list[dict[str, Any]]
    comparison: Path | None = None


def new_run_root(cfg: EvalConfig, now: _dt.datetime | None = None) -> Path:
    stamp = (now or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y%m%d-%H%M%S")
    root = Path(cfg.output) / f"{cfg.name}-{stamp}"
    n = 1
    while root.exists():
        n += 1
        root = Path(cfg.output) / f"{cfg.name}-{stamp}-{n}"
    return root


def write_run(directory: Path, metrics: dict[str, Any], per_product: list[dict[str, Any]], run: VariantRun) -> None:
    """Write predictions, per-product scores, metrics.json, report.md and report.html into a run directory."""
    from tagllm.evaluation.report import render_html, render_markdown

    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "predictions.jsonl").open("w", encoding="utf-8") as fh:
        for row in per_product:
            result = run.results.get(row["id"])
            if result is not None:
                fh.write(result.model_dump_json() + "\n")
    with (directory / "per_product.jsonl").open("w", encoding="utf-8") as fh:
        for row in per_product:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    (directory / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    (directory / "report.md").write_text(render_markdown(metrics), encoding="utf-8")
    (directory / "report.html").write_text(render_html(metrics), encoding="utf-8")


def run_eval(
    cfg: EvalConfig,
    *,
    factory: TaggerFactory | None = None,
    use_cache: bool = True,
    root: Path | None = None,
    progress: Callable[[str], None] | None = None,
    predictions: str | Path | None = None,
) -> EvalOutcome:
    """Score every variant of ``cfg`` on the same sample and write run directories (and a comparison).

    With ``predictions`` (a JSONL of TagResults, e.g. from `tagllm generate`), nothing is tagged: that file is
    scored, and gold products it lacks count as misses.
    """
    from tagllm.evaluation.scoring import score_run
    from tagllm.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(cfg.tagger.taxonomy)
    gold = load_gold(cfg, taxonomy)
    runs = variants(cfg)
    root = root or new_run_root(cfg)
    outcome = EvalOutcome(root, [], [])
    for variant in runs:
        if predictions is not None:
            run = load_predictions(predictions, variant, taxonomy)
        else:
            run = tag_variant(variant, gold, taxonomy, cfg, factory=factory, use_cache=use_cache, progress=progress)
        _check_not_all_failed(cfg, run)
        metrics, per_product = score_run(cfg, gold, run, taxonomy)
        directory = root if len(runs) == 1 else root / _dir_name(variant.name)
        write_run(directory, metrics, per_product, run)
        outcome.runs.append(directory)
        outcome.metrics.append(metrics)
    if len(outcome.runs) > 1:
        from tagllm.evaluation.compare import compare_runs, write_comparison

        outcome.comparison = write_comparison(compare_runs(outcome.runs, seed=cfg.seed, n_boot=cfg.bootstrap), root)
    return outcome


def _check_not_all_failed(cfg: EvalConfig, run: VariantRun) -> None:
    """Scores of 0.000 from a run where every product failed would read as a result; it is an error."""
    results = list(run.results.values())
    if not results or any(r.status == "ok" for r in results):
        return
    first = next((r.error.message for r in results if r.error is not None), "no reason given")
    which = f" [{run.variant.name}]" if run.variant.name != "base" else ""
    raise RunFailedError(
        f"eval {cfg.name}{which}: all {len(results)} product(s) failed, nothing to score; the first failure: {first}"
    )


def _dir_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.=," else "_" for c in name)


def load_predictions(path: str | Path, variant: Variant, taxonomy: Taxonomy) -> VariantRun:
    """Read TagResults from a JSONL file; refuse results made against another taxonomy version."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{file}: no such predictions file")
    results: dict[str, TagResult] = {}
    for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            result = TagResult.model_validate_json(line)
        except ValidationError as exc:
            raise InputError(f"{file}:{lineno}: not a tag result: {exc.errors()[0]['msg']}") from None
        version = result.provenance.taxonomy_version if result.provenance else None
        if version is not None and version != taxonomy.version:
            raise InputError(
                f"{file}:{lineno}: these predictions were made against taxonomy version {version}, but "
                f"the eval config's taxonomy {taxonomy.name!r} is version {taxonomy.version}; "
                "tag again with this taxonomy"
            )
        results[result.product_id] = result
    latency = {pid: (r.provenance.latency_ms or 0.0) / 1000 if r.provenance else 0.0 for pid, r in results.items()}
    return VariantRun(variant, results, latency, cached=len(results), tagged=0, setup_s=0.0, key=f"file:{file}")

"""Eval configs: the gold data, the tagger settings to score, the sample, and the variants a sweep makes."""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tagllm.config import PATH_OR_NAME_SETTINGS, PATH_SETTINGS, TaggerConfig, TextField
from tagllm.errors import ConfigError
from tagllm.yaml_files import read_yaml_mapping


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
        if isinstance(data, str) and data.strip().isdigit():
            data = int(data)
        if isinstance(data, int) and not isinstance(data, bool):
            return {"mode": "first", "n": data}
        if not isinstance(data, dict | SampleSpec):
            # `sample: lots` (or 0.1, a share) was told "Input should be a valid dictionary or instance of
            # SampleSpec", which names neither the shorthands nor the settings
            raise ValueError(
                f"sample is all, a number of products (200: the first 200), or a mapping "
                f"{{mode: first|random, n: 200, seed: 0}}; got {data!r}"
            )
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
        "gold_category",
        description='"A > B > C" or an id, a list, or {facet: [ids or paths]}; a value or list is of the facet the '
        "field names (gold_color: color), else of the hierarchical facet (category)",
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
        description="product fields removed before tagging (e.g. attributes holding answers); those the tagger "
        "can ignore are also the tagger's ignore_fields, unless it sets its own, so that its index reads the "
        "examples as it reads the gold products",
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

    @model_validator(mode="after")
    def _examples_read_as_gold(self) -> EvalConfig:
        # Examples read with their specifications teach the index that stated values are right; gold products
        # without them would then be tagged with confidences and keep thresholds that do not hold for them (OpenBG
        # attributes, examples with `attributes` against gold without: 0.50 precision where 0.9 was meant).
        hidden = [f for f in get_args(TextField) if f in self.hide_fields]
        if hidden and "ignore_fields" not in self.tagger.model_fields_set:
            self.tagger = self.tagger.model_copy(update={"ignore_fields": hidden})
        return self

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, value: str) -> str:
        """The name starts the run directory's (output/NAME-<time>): ``name: ../../x`` wrote the run outside
        ``output``, and ``name: a/b`` one folder deeper, where ``eval compare`` and a cleanup look for neither."""
        if not value.strip() or value.strip(".") == "" or any(c in value for c in "/\\\0"):
            raise ValueError(
                f"name {value!r} starts the run directory's name (output/NAME-<time>): give a name without '/' "
                "or '\\', not '.' or '..' (e.g. flipkart-v2)"
            )
        return value

    @field_validator("split", mode="before")
    @classmethod
    def _split_text(cls, value: Any) -> Any:
        """A split written as a number (``split: 2024``, as YAML reads it) is its text, as the gold records' split
        field is compared by its text; it was refused ("Input should be a valid string")."""
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("hide_fields")
    @classmethod
    def _title_stays(cls, value: list[str]) -> list[str]:
        # every product was refused as having no title (the gold file has one), after the tagger (a model) was built
        if "title" in value:
            raise ValueError(
                "hide_fields names 'title', which every product needs: a product without it is not tagged; to score "
                "the photos alone, set the tagger's inputs: [image] (the text hidden), or sweep inputs"
            )
        return value

    @field_validator("sweep")
    @classmethod
    def _sweep_fields(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in value.items():
            if key not in TaggerConfig.model_fields:
                raise ValueError(f"sweep key {key!r} is not a tagger setting ({', '.join(TaggerConfig.model_fields)})")
            if not isinstance(values, list) or not values:
                raise ValueError(f"sweep {key!r} needs a non-empty list of values")
        return value


def _beside_config(key: str, value: Any, base: Path, model_is_path: bool) -> Any:
    """A tagger setting of an eval config with a relative path taken from the config's folder, as a tagger config's
    are: a path setting always (an index not built yet is built there), a path-or-name setting (and a transformers or
    vllm model) when the path exists there."""
    if not isinstance(value, str) or not value.strip():
        return value
    if key in PATH_SETTINGS:
        return str(base / Path(value).expanduser())
    if key in PATH_OR_NAME_SETTINGS or (key == "model" and model_is_path):
        return _resolve(base, value)
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
    if isinstance(data.get("gold"), str):
        data["gold"] = _resolve(base, data["gold"])
        if not Path(data["gold"]).exists():  # said as "gld.jsonl: no such file", neither the setting nor the folder
            where = "" if Path(data["gold"]).is_absolute() else f" (looked for in {base}, the config's folder)"
            raise ConfigError(f"{file}: gold: {data['gold']}: no such file{where}")
    for key in ("output", "cache"):
        data[key] = str(base / data.get(key, EvalConfig.model_fields[key].default))
    tagger = dict(data.get("tagger") or {})
    # A model directory next to the config is found like its other files; an openai model is a served name.
    model_is_path = tagger.get("backend") in ("transformers", "vllm")
    for key, value in tagger.items():
        tagger[key] = _beside_config(key, value, base, model_is_path)
    _refuse_missing_examples(file, data.get("tagger") or {}, tagger, base)
    # a swept file is found as the tagger's is: `sweep: {examples: [data/a.jsonl, data/b.jsonl]}` was read from the
    # working directory, and a run from anywhere but the config's folder stopped on files that were there
    sweep = data.get("sweep") or {}
    if isinstance(sweep, dict):
        for key, values in sweep.items():
            if isinstance(values, list):
                sweep[key] = [_beside_config(key, value, base, model_is_path) for value in values]
    data["tagger"] = tagger
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return EvalConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {'.'.join(map(str, e['loc'])) or '(top)'}: {_problem(e)}" for e in exc.errors()]
        raise ConfigError(f"{file}: invalid eval config:\n" + "\n".join(lines)) from None


def _refuse_missing_examples(file: Path, written: dict[str, Any], tagger: dict[str, Any], base: Path) -> None:
    """Refuse a ``tagger.examples`` that is not there (unless its index is built) as the gold file is: it stopped the
    run with 'examples file /abs/path does not exist', naming neither the config nor the setting."""
    examples = tagger.get("examples")
    if not isinstance(examples, str) or not examples.strip() or Path(examples).exists():
        return
    index = tagger.get("index")
    if isinstance(index, str) and index.strip() and Path(index, "manifest.json").exists():
        return
    written_path = written["examples"]
    where = "" if Path(written_path).expanduser().is_absolute() else f" (looked for in {base}, the config's folder)"
    raise ConfigError(f"{file}: tagger.examples: {written_path}: no such file{where}")


def _problem(error: Any) -> str:
    """What is wrong with one setting; a tagger setting at the top of an eval config (taxonomy: beside gold:) is said
    to belong under ``tagger:``, where "Extra inputs are not permitted" left the analyst guessing."""
    loc = error["loc"]
    if error["type"] == "extra_forbidden" and len(loc) == 1 and loc[0] in TaggerConfig.model_fields:
        return "a tagger setting, not an eval one: move it under tagger:"
    parent = "" if len(loc) == 1 else str(loc[0])
    if error["type"] == "extra_forbidden" and len(loc) <= 2 and parent in _SETTINGS_OF:
        # a misspelt setting (gold_feild, tagger.tresh) was "Extra inputs are not permitted", the name meant unsaid
        known = _SETTINGS_OF[parent]
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        return "not a setting" + (f" (did you mean {close[0]!r}?)" if close else f"; the settings: {', '.join(known)}")
    return str(error["msg"]).removeprefix("Value error, ")


# the settings an extra key is matched against, by the key it is under ("": the top of the eval config)
_SETTINGS_OF = {"": list(EvalConfig.model_fields), "tagger": list(TaggerConfig.model_fields),
                "sample": list(SampleSpec.model_fields)}  # fmt: skip


# -- variants ------------------------------------------------------------------------------------------------
@dataclass
class Variant:
    """One tagger configuration to score; a sweep makes several on the same sample."""

    name: str
    config: TaggerConfig
    settings: dict[str, Any] = field(default_factory=dict)


def _short(value: Any, depth: int = 1) -> str:
    """A swept value as a variant's name shows it: a path by its file's stem, and ``depth - 1`` folders above it."""
    if isinstance(value, list):  # e.g. inputs: [text, image] -> text+image
        return "+".join(_short(v, depth) for v in value)
    text = str(value)
    if "/" not in text and "\\" not in text:
        return text
    path = Path(text)
    folders = path.parent.parts[max(0, len(path.parent.parts) - depth + 1) :]
    return "/".join([*folders, path.stem])


def _names(settings: list[dict[str, Any]]) -> list[str]:
    """Variant names, one per combination, told apart: two templates of one name in two folders (v1/fewshot.j2,
    v2/fewshot.j2) were both 'prompt=fewshot', and the second run was written over the first and compared with it."""
    for depth in range(1, 64):
        names = [",".join(f"{k}={_short(v, depth)}" for k, v in combo.items()) for combo in settings]
        if len(set(names)) == len(names):
            return names
    twice = next(combo for i, combo in enumerate(settings) if combo in settings[:i])
    raise ConfigError(f"sweep lists one variant twice ({twice}): give each value of a swept setting once")


def variants(cfg: EvalConfig) -> list[Variant]:
    """The cartesian product of the swept settings (one variant, 'base', without a sweep)."""
    if not cfg.sweep:
        return [Variant("base", cfg.tagger)]
    keys = list(cfg.sweep)
    combos = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(cfg.sweep[k] for k in keys))]
    out = []
    for settings, name in zip(combos, _names(combos), strict=True):
        data = cfg.tagger.model_dump()
        data.update(settings)
        try:
            config = TaggerConfig.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"sweep {settings}: {exc.errors()[0]['msg']}") from None
        out.append(Variant(name, config, settings))
    return out

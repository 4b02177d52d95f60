"""Configuration: one validated model; precedence is CLI flag > TAGLLM_* environment > config file > defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from tagllm.errors import ConfigError
from tagllm.images import ImageLimits
from tagllm.yaml_files import read_yaml_mapping

Input = Literal["text", "image"]
# Product fields besides the title that a tagger can be told not to read (``TaggerConfig.ignore_fields``).
TextField = Literal["description", "brand", "attributes", "queries"]


def _text_and_image() -> list[Input]:
    return ["text", "image"]


DEFAULT_CONFIG_FILE = "tagllm.yaml"
OTHER_SPELLING = "tagllm.yml"  # the config file named as YAML files often are: not read unless named
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
ENV_PREFIX = "TAGLLM_"
FLAGS = {"facets": "--facet"}  # settings whose command-line flag is not --setting-name
# TAGLLM_* variables that are not settings: where prompts, taxonomies and the cache are found
OTHER_VARIABLES = ("TAGLLM_PROMPT_DIR", "TAGLLM_TAXONOMY_DIR", "TAGLLM_CACHE_DIR")


class TaggerConfig(BaseModel):
    """Every setting of a tagging run. Unknown keys are errors, so a typo in an analyst's file fails loudly."""

    model_config = ConfigDict(extra="forbid")

    taxonomy: str = Field("demo", description="taxonomy file, directory or name (demo, shopify)")
    examples: str | None = Field(
        None, description="labelled products (JSONL/CSV/Parquet) the example index is built from"
    )
    index: str | None = Field(None, description="example index directory; built from `examples` when missing")
    label_field: str = Field("labels", description="field of the examples holding their tags (or gold_category)")
    attribute_field: str | None = Field(
        None, description='field of the examples holding "Key: Value" attribute tags (e.g. gold_attribute_tags)'
    )
    embedder: str | None = Field(None, description="sentence-transformers model directory; default all-MiniLM-L6-v2")
    embedder_backend: Literal["auto", "torch", "onnx", "onnx-fp32", "openvino"] = Field(
        "auto",
        description="what runs the embedder: auto (onnx on a CPU with onnxruntime, else torch, or what the index "
        "was built with), torch, onnx (int8), onnx-fp32 or openvino (fp32, pip install 'tagllm[openvino]')",
    )
    device: str | None = Field(None, description="cpu, cuda, cuda:1 … (default: what torch finds)")
    image_embedder: str | None = Field(
        None,
        description="photos into vectors: 'pixels' (built in, fitted on the examples' photos; the default when "
        "examples have photos), a local CLIP/SigLIP model directory, or 'none'",
    )
    allow_remote_images: bool = Field(False, description="fetch http(s) image URLs (never, unless this is set)")
    image_root: str | None = Field(
        None, description="directory relative image paths start from (default: the input file's directory)"
    )
    image_limits: ImageLimits = Field(default_factory=ImageLimits, description="bounds on loading one photo")
    inputs: list[Input] = Field(
        default_factory=_text_and_image,
        min_length=1,
        description="what the tagger reads: text, image (photos alone, the text hidden), or both (to measure what "
        "each adds)",
    )
    ignore_fields: list[TextField] = Field(
        default_factory=list,
        description="product fields the tagger does not read, in its examples and in the products alike: e.g. "
        "[attributes, description] when the products to tag carry titles only and the examples carry more, so that "
        "what the index learns from its examples (confidences, keep thresholds) holds for the products",
    )
    backend: str = Field("retrieval", description="retrieval | transformers | vllm | openai")
    model: str | None = Field(None, description="model path (transformers, vllm) or served name (openai)")
    base_url: str | None = Field(None, description="OpenAI-compatible server URL (openai backend)")
    backend_options: dict[str, Any] = Field(default_factory=dict, description="passed to the backend as is")
    prompt: str = Field("fewshot", description="prompt template name in prompts/ or a path")
    attribute_mode: Literal["auto", "two_step", "one_call"] = Field(
        "auto",
        description="LLM backends tagging the category and other facets: two_step (the category first, then the "
        "facets that apply to it), one_call (one answer over the facets of the top category candidates), or auto "
        "(two_step when a facet tagged applies to some categories only, else one_call)",
    )
    attribute_prompt: str | None = Field(
        None, description="template of the attribute step (two_step); default: attributes-<prompt> when it exists"
    )
    attribute_categories: int = Field(
        3, ge=1, le=50, description="one_call: the schema holds the facets of this many top category candidates"
    )
    facets: list[str] | None = Field(
        None, description="facets to tag (default: category plus facets the examples label)"
    )
    k: int = Field(
        25,
        ge=0,
        le=200,
        description="neighbours retrieved per product (an index fitted for another k is refitted on load)",
    )
    max_candidates: int = Field(20, ge=1, le=500, description="candidates per facet offered to the backend")
    threshold: float = Field(0.0, ge=0.0, le=1.0, description="tags below this confidence are dropped (abstain)")
    keep_precision: float = Field(
        0.9,
        ge=0.5,
        le=1.0,
        description="the precision an attribute facet's kept values aim at: the no-LLM default keeps a facet's values "
        "from the confidence at which the index's own examples, out of fold, reach it (lower keeps more, less "
        "precisely; an index fitted for another one is refitted on load)",
    )
    route_threshold: Probability | dict[str, Probability] | None = Field(
        None,
        description="routing mode: the no-LLM default tags every product and only those whose confidence in a facet "
        "is below this (one number for every facet, or facet: number) go to the LLM backend, with the default's "
        "candidates; see tagllm.routing",
    )
    add_ancestors: bool = Field(True, description="also emit the ancestors of hierarchical tags")
    batch_size: int = Field(1024, ge=1, description="products per batch through the pipeline")
    # the settings whose value a config file gave (no flag, variable or override replaced it): a file's taxonomy and
    # label field are its own examples', and give way to an index named elsewhere (``with_index_settings``)
    _from_file: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @property
    def from_file(self) -> frozenset[str]:
        """The settings a config file gave, as ``load_config`` read them."""
        return self._from_file

    @field_validator(
        "taxonomy", "examples", "index", "image_root", "embedder", "image_embedder", "prompt", "attribute_prompt",
        "model",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _path(cls, value: Any) -> Any:
        """A ``pathlib.Path`` as its text (``index=Path.home() / "idx"`` was refused: "Input should be a valid
        string"), and a path from the home directory (``~/catalogue/tree.yaml``) read as it: a config file's
        ``taxonomy: ~/tree.yaml`` was looked for as a taxonomy named so ("unknown taxonomy"), where its ``index:
        ~/idx`` was found. No name of a taxonomy, model or template (nor a model a server serves) starts with ``~``."""
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        return os.path.expanduser(value) if isinstance(value, str) and value.startswith("~") else value

    @field_validator("facets", "inputs", "ignore_fields", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        """A list written as text, ``facets: category, color`` in a config file, read as its TAGLLM_* variable reads
        it: the items between commas. The same text in TAGLLM_FACETS was a list, and in a file it was refused
        ("Input should be a valid list"); ``inputs: text`` was too."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("device", mode="before")
    @classmethod
    def _device_number(cls, value: Any) -> Any:
        """A bare GPU number (``device: 0``, ``--device 1``), as torch takes it, read as ``cuda:N``: YAML's 0 was
        'Input should be a valid string', and the text '0' a device torch does not know."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return f"cuda:{value}"
        if isinstance(value, str) and value.strip().isdigit():
            return f"cuda:{int(value)}"
        return value

    @field_validator("backend_options", mode="before")
    @classmethod
    def _no_options(cls, value: Any) -> Any:
        """``backend_options:`` with nothing under it (every option commented out) is no options: YAML reads it as
        null, which was refused ("Input should be a valid dictionary")."""
        return {} if value is None else value

    @field_validator("route_threshold", mode="before")
    @classmethod
    def _threshold_text(cls, value: Any) -> Any:
        """The text form --route-threshold takes (``0.7``, ``category=0.7,color=0.5``), from a TAGLLM_* variable or
        a config file alike (the variable took one number or JSON only, and refused the text the flag takes)."""
        return threshold_from_text(value) if isinstance(value, str) else value

    def with_overrides(self, **overrides: Any) -> TaggerConfig:
        """A copy with the given settings replaced (``None`` values mean 'not given' and are ignored). The settings
        not given stay unset, so that an index's taxonomy, fields and embedder still fill them
        (``with_index_settings``)."""
        data = self.model_dump(exclude_unset=True)
        given = {k: v for k, v in overrides.items() if v is not None}
        data.update(given)
        return _from(self, _validate(data, "overrides", {k: f"{k}={v!r}" for k, v in given.items()}), given)


def check_config(config: Any, taker: str) -> None:
    """Refuse, naming what to pass, a ``config`` that is not a ``TaggerConfig`` (a file's path, a dict of settings),
    which failed later with an error about its own methods ("'dict' object has no attribute 'index'")."""
    if not isinstance(config, TaggerConfig):
        raise TypeError(
            f"{taker} takes a TaggerConfig, not a {type(config).__name__}: build it with tagllm.load_config(PATH, "
            "**settings) (a config file, then settings over it) or TaggerConfig(**settings)"
        )


THRESHOLD_USAGE = "write one number (0.7) or facet=number pairs (category=0.7,color=0.5)"


def threshold_from_text(text: str) -> float | dict[str, float]:
    """A route threshold written as text: one number (``0.7``) or facet=number pairs (``category=0.7,color=0.5``);
    ``ValueError`` says what is wrong (the range is checked with the other settings)."""
    if "=" not in text:
        try:
            return float(text)
        except ValueError:
            raise ValueError(THRESHOLD_USAGE) from None
    out: dict[str, float] = {}
    for pair in text.split(","):
        facet, _, value = (part.strip() for part in pair.partition("="))
        if facet in out:
            raise ValueError(f"facet {facet!r} is given twice; give each facet once")
        try:
            out[facet] = float(value)
        except ValueError:
            raise ValueError(THRESHOLD_USAGE) from None
        if not facet:
            raise ValueError(THRESHOLD_USAGE)
    return out


def with_overrides(config: TaggerConfig, **overrides: Any) -> TaggerConfig:
    """``config`` with ``overrides`` in place of its own settings, each checked and named as ``load_config`` checks
    and names its overrides (a setting that does not exist is an error, not ignored); None leaves a setting as it is."""
    given = {k: v for k, v in overrides.items() if v is not None}
    if not given:
        return config
    sources = {key: f"{key}={value!r}" for key, value in given.items()}
    validated = _validate({**config.model_dump(exclude_unset=True), **given}, "the config given", sources)
    return _from(config, validated, given)


def _from(old: TaggerConfig, new: TaggerConfig, given: dict[str, Any]) -> TaggerConfig:
    """``new``, the settings of ``old`` with ``given`` in place, knowing which settings a config file gave."""
    new._from_file = old.from_file - set(given)
    return new


def _validate(data: dict[str, Any], where: str, sources: dict[str, str] | None = None) -> TaggerConfig:
    """Validate settings; each error names where its setting came from (flag, environment variable, file)."""
    try:
        return TaggerConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            key = str(e["loc"][0]) if e["loc"] else ""
            origin = (sources or {}).get(key)
            field = ".".join(map(str, e["loc"])) or "(top)"
            message = _no_such_setting(e["loc"]) if e["type"] == "extra_forbidden" else _message(e)
            lines.append(f"  {origin}: {message}" if origin else f"  {where}: {field}: {message}")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None


def _message(error: Any) -> str:
    """A validation error's message; one of tagllm's own checks (``threshold_from_text``) without pydantic's
    "Value error, " before it."""
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _no_such_setting(loc: tuple[int | str, ...]) -> str:
    """What to say of a key that names no setting (``treshold``, ``image_limits.max_image``): the setting it is
    closest to, else the settings there are."""
    import difflib

    model: Any = TaggerConfig
    for part in loc[:-1]:  # down to the settings the key sits among (image_limits: ImageLimits's)
        annotation = model.model_fields[part].annotation if isinstance(part, str) else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "no such setting"
        model = annotation
    names = sorted(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    if close:
        return f"no such setting; did you mean {close[0]}?"
    return f"no such setting (the settings: {', '.join(names)})"


def _from_env() -> tuple[dict[str, Any], dict[str, str]]:
    """Settings from TAGLLM_* variables, and for each the variable it came from (``TAGLLM_K=abc``)."""
    import json

    _refuse_unknown_variables()
    out: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, field in TaggerConfig.model_fields.items():
        variable = ENV_PREFIX + name.upper()
        raw = os.environ.get(variable)
        if raw is None or raw == "":
            continue
        sources[name] = f"{variable}={raw} (environment variable)"
        annotation = str(field.annotation)
        if "dict" in annotation or "list" in annotation or "Limits" in annotation:
            try:
                out[name] = json.loads(raw)
            except json.JSONDecodeError:
                out[name] = [s.strip() for s in raw.split(",")] if "list" in annotation else raw
        else:
            out[name] = raw
    return out, sources


def _refuse_unknown_variables() -> None:
    """A TAGLLM_* variable that names no setting is a typo (TAGLLM_THRESHHOLD=0.9): refused, as an unknown key of a
    config file is, not ignored while the run tags with the default."""
    import difflib

    known = {ENV_PREFIX + name.upper() for name in TaggerConfig.model_fields} | set(OTHER_VARIABLES)
    unknown = sorted(v for v in os.environ if v.startswith(ENV_PREFIX) and v not in known)
    if not unknown:
        return
    lines = []
    for variable in unknown:
        close = difflib.get_close_matches(variable, sorted(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        lines.append(f"  {variable}={os.environ[variable]} (environment variable): no such setting{hint}")
    fix = "unset it, or spell it as a setting is named (TAGLLM_ and the setting, as in tagllm generate --help)"
    raise ConfigError("invalid configuration:\n" + "\n".join(lines) + "\n" + fix)


# Settings that are always paths, and settings that are a path or a name ("demo", "fewshot", "pixels").
PATH_SETTINGS = ("examples", "index", "image_root")
PATH_OR_NAME_SETTINGS = ("taxonomy", "embedder", "prompt", "attribute_prompt", "image_embedder")


def _beside(loaded: dict[str, Any], base: Path) -> dict[str, Any]:
    """A config file's settings with its relative paths taken from ``base``, the file's directory: a path setting
    always (an index not built yet is built there, not in whatever directory the run starts from), a path-or-name
    setting when the path exists there."""
    out = dict(loaded)
    for key in PATH_SETTINGS:
        value = out.get(key)
        if isinstance(value, str) and value.strip():
            out[key] = str(base / Path(value).expanduser())
    for key in PATH_OR_NAME_SETTINGS:
        value = out.get(key)
        if isinstance(value, str) and value and (base / value).exists():
            out[key] = str(base / value)
    return out


def load_config(path: str | Path | None = None, *, from_flags: bool = False, **overrides: Any) -> TaggerConfig:
    """Build the configuration: defaults < config file (``path`` or ./tagllm.yaml) < environment < overrides.

    Relative paths in a config file are taken relative to the file's directory. ``from_flags``: the overrides are
    command-line flags, and an invalid one is named as the flag (``--threshold 2``).
    """
    data: dict[str, Any] = {}
    loaded: dict[str, Any] = {}
    file = Path(path) if path else Path(DEFAULT_CONFIG_FILE)
    if path and not file.exists():
        raise ConfigError(f"config file {file} does not exist")
    if not path and not file.exists() and Path(OTHER_SPELLING).is_file():
        # passed over, the run tagged with the defaults (the demo taxonomy), the analyst's file unread and unnamed
        raise ConfigError(
            f"{OTHER_SPELLING}: tagllm reads {DEFAULT_CONFIG_FILE} by itself, not {OTHER_SPELLING}; rename it to "
            f"{DEFAULT_CONFIG_FILE}, or name it (--config {OTHER_SPELLING}; in Python, load_config('{OTHER_SPELLING}'))"
        )
    where = "defaults"
    if file.exists():
        loaded = read_yaml_mapping(file, "a config file")
        data.update(_beside(loaded, file.resolve().parent))
        where = str(file)
    environment, sources = _from_env()
    data.update(environment)
    given = {k: v for k, v in overrides.items() if v is not None}
    data.update(given)
    for key, value in given.items():
        shown = ",".join(map(str, value)) if isinstance(value, list) else value
        sources[key] = f"{FLAGS.get(key, '--' + key.replace('_', '-'))} {shown}" if from_flags else f"{key}={value!r}"
    config = _validate(data, where, sources)
    config._from_file = frozenset(loaded) - set(environment) - set(given)
    return config

"""Assembling a Tagger from a config: its index (opened, or built from labelled examples by
``tagllm.index_build``), facets, image encoder and backend options. The CLI's ``index build`` and ``generate`` and
the Python API share these."""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tagllm.candidates import ALL_FEATURES
from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError, IndexMismatchError, OutputError, TaxonomyError
from tagllm.examples_record import edited_photos, file_digest, refuse_edited_examples
from tagllm.index_build import MAX_UNUSABLE_EXAMPLES, UnusableExamples, build_index
from tagllm.models import RecordError
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.image_encoder import NO_IMAGES, ImageEncoder, check_recorded
from tagllm.retrieval.index import ExampleIndex
from tagllm.retrieval.index_manifest import FORMAT_VERSION
from tagllm.taxonomy import CATEGORY, Taxonomy

Progress = Callable[[str, int, int | None], None]  # (stage, done, total)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep the cyclic GC off while a batch is tagged: its candidates and results, some 100,000 small objects per
    1,024 products and none of them in a cycle, set off collections that walk the growing heap again and again; on
    3,000 Flipkart products that was a quarter of the time spent besides encoding (3.0 s with it, 2.3 s without).
    What is allocated meanwhile is looked at once, by the first collection after the pause."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def default_facets(taxonomy: Taxonomy, index: ExampleIndex | None) -> list[str]:
    """The facets the examples carry labels for; without examples, the category facet."""
    if index is not None and index.manifest.get("label_facets"):
        labelled = set(index.manifest["label_facets"])
        return [f for f in taxonomy.facets if f in labelled]  # the taxonomy's order: category first, as declared
    if CATEGORY in taxonomy.facets:
        return [CATEGORY]
    if len(taxonomy.facets) <= 20:
        return list(taxonomy.facets)
    raise ConfigError(
        f"taxonomy {taxonomy.name!r} has {len(taxonomy.facets)} facets: name the ones to tag with --facet"
    )


def image_encoder_for(config: TaggerConfig, index: ExampleIndex | None) -> ImageEncoder | None:
    """The encoder products' photos go through: the index's (the one its examples' photos went through), unless
    the config turns photos off; a config naming another encoder than the index's is a mismatch."""
    if config.image_embedder == NO_IMAGES or index is None or index.image_encoder is None:
        return None
    named = config.image_embedder
    if named is not None and named != index.image_encoder.name and not _same_directory(named, index.image_encoder.name):
        from tagllm.errors import IndexMismatchError

        raise IndexMismatchError(
            f"index built with image embedder {index.image_encoder.name!r}, not {config.image_embedder!r}; "
            "rebuild it with that image embedder, or leave --image-embedder unset to use the index's"
        )
    # a model gone or replaced is said before the first product (a tagging run needs it for the products' photos)
    where = str(index.path) if index.path is not None else "the index"
    without = "; to tag without photos: --image-embedder none"
    check_recorded(index.image_encoder, index.manifest["images"]["encoder"], where, without=without)
    return index.image_encoder


def _same_directory(a: str, b: str) -> bool:
    return Path(a).is_dir() and Path(b).is_dir() and Path(a).resolve() == Path(b).resolve()


def examples_image_loader(config: TaggerConfig, examples_path: str | Path) -> Any:
    """The loader for the examples' photos: relative paths start at ``image_root`` or beside the examples file."""
    from tagllm.images import ImageLoader, image_root

    root = image_root(config.image_root) if config.image_root else Path(examples_path).resolve().parent
    return ImageLoader(config.image_limits, allow_remote=config.allow_remote_images, root=root)


def backend_options(config: TaggerConfig, taxonomy: Taxonomy) -> dict[str, Any]:
    """The keyword options a backend is built with: its own section, plus model / base URL / device."""
    options = {k: v for k, v in config.backend_options.items() if k != "examples_in_prompt"}
    if config.backend == "retrieval":
        options.setdefault("taxonomy", taxonomy)
        return options
    if config.model:
        options.setdefault("model", config.model)
    if config.backend == "openai" and config.base_url:
        options.setdefault("base_url", config.base_url)
    if config.backend == "transformers" and config.device:
        options.setdefault("device", config.device)
    return options


def with_index_settings(config: TaggerConfig) -> TaggerConfig:
    """``config`` with the taxonomy, label and attribute fields and embedder of its index's manifest where it does not
    set them."""
    manifest = Path(config.index, "manifest.json") if config.index else None
    if manifest is None or not manifest.exists():
        return config
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return config  # loading the index reports it
    updates: dict[str, Any] = {}
    if not asked_for(config, "taxonomy"):
        updates["taxonomy"] = _index_taxonomy(config.index, data)
    for setting in ("label_field", "attribute_field", "embedder"):
        if not asked_for(config, setting) and data.get(setting):
            updates[setting] = data[setting]
    built_without = sorted(data.get("ignore_fields", []))
    if "ignore_fields" not in config.model_fields_set:
        updates["ignore_fields"] = built_without
    elif sorted(config.ignore_fields) != built_without:
        # the index's examples were read with other fields than the products would be: what it learned from them
        # (its confidences, its keep thresholds) would not hold
        read = f"without {', '.join(built_without)}" if built_without else "with every field"
        raise ConfigError(
            f"ignore_fields {', '.join(sorted(config.ignore_fields)) or '(none)'} does not match the index "
            f"{config.index}: its examples were read {read}; build the index again with the same ignore_fields, or "
            "leave the setting out to use the index's"
        )
    if updates.get("embedder"):
        # the manifest names the encoder (all-MiniLM-L6-v2+onnx-fp32); the setting is the model, whose embedder
        # then adopts the index's encoder when it loads the index
        from tagllm.retrieval.embedder import model_of

        updates["embedder"] = model_of(updates["embedder"])
    updates = {k: v for k, v in updates.items() if v}
    return config.model_copy(update=updates) if updates else config


def asked_for(config: TaggerConfig, setting: str) -> bool:
    """Whether ``config`` sets ``setting`` for its index: a flag, a TAGLLM_* variable or the API's config does, and so
    does the config file that names the index, but a file that does not sets it for its own examples (the repo's
    tagllm.yaml: the Flipkart taxonomy and gold_category), not for an index named by a flag: an index built elsewhere
    was refused for the file's taxonomy, and ``index add`` read its reviews from the file's label field."""
    if setting not in config.model_fields_set:
        return False
    return setting not in config.from_file or "index" in config.from_file


def _index_taxonomy(index: str | None, manifest: dict[str, Any]) -> str | None:
    """The taxonomy an index was built with: its file, else (an index built before the file was recorded, or from a
    named taxonomy's file now elsewhere) its name. A file gone whose name names no taxonomy either is said as such:
    looked up by the name inside it, it was "unknown taxonomy 'fashion'", a name the user never gave."""
    from tagllm.taxonomy import resolve_taxonomy_path

    source, name = manifest.get("taxonomy_source"), manifest.get("taxonomy")
    if not source or Path(source).exists():
        return source or name
    try:
        resolve_taxonomy_path(str(name))
    except TaxonomyError:
        raise ConfigError(
            f"the index {index} was built with taxonomy {name!r} from {source}, which is not there any more; name the "
            "taxonomy file with --taxonomy (config: taxonomy)"
        ) from None
    return name


def open_index(
    config: TaggerConfig,
    taxonomy: Taxonomy,
    embedder: Embedder,
    *,
    progress: Progress | None = None,
    errors: list[RecordError] | None = None,
) -> ExampleIndex | None:
    """Load ``config.index``; when it does not exist yet and ``config.examples`` is set, build it there first.

    Without ``config.index`` the index built from ``config.examples`` is kept in the cache directory, keyed by
    the examples' content, the taxonomy version and the embedder, so the next run loads it in a second. Examples
    that cannot be used go to ``errors``; when they are most of the file, nothing is built (``InputError``): a
    label field or taxonomy that does not fit the examples is a setup mistake, not a few bad records.
    """
    if config.index and Path(config.index, "manifest.json").exists():
        if progress:
            progress("index", 0, None)
        loaded = ExampleIndex.load(config.index, taxonomy=taxonomy, embedder=embedder)
        refuse_edited_examples(config, loaded)
        return _refuse_other_fields(config, loaded)
    if not config.examples:
        return _named_index(config, Path(config.index), taxonomy, embedder) if config.index else None
    examples_path = Path(config.examples)
    if not examples_path.exists():
        raise ConfigError(f"examples file {examples_path} does not exist")
    if examples_path.is_dir():  # read whole below for the cache key: a directory was an IsADirectoryError traceback
        raise ConfigError(f"examples {examples_path} is a directory; name the file of labelled products in it")
    if config.index:
        target = Path(config.index)
    else:
        from tagllm.cache import cache_dir

        target = cache_dir() / "indexes" / _cache_key(config, taxonomy, embedder, examples_path)[:20]
        if (target / "manifest.json").exists():
            if progress:
                progress("index", 0, None)
            try:
                cached = ExampleIndex.load(target, taxonomy=taxonomy, embedder=embedder.name)
                if not edited_photos(cached):
                    return cached  # else a photo was edited, added or removed since: built again below
            except IndexMismatchError:
                pass  # the cache's own copy is damaged (a disk that filled up, a file removed): built again below
    try:
        return build_index(
            examples_path, taxonomy, embedder, target, label_field=config.label_field,
            attribute_field=config.attribute_field, k=config.k, progress=progress, errors=errors,
            max_unusable=MAX_UNUSABLE_EXAMPLES, ignore_fields=config.ignore_fields,
            keep_precision=config.keep_precision, image_embedder=config.image_embedder,
            image_loader=examples_image_loader(config, examples_path),
        )  # fmt: skip
    except UnusableExamples as exc:
        # often the examples of a project config (./tagllm.yaml) beside a --taxonomy the user chose to tag with alone
        raise UnusableExamples(f"{exc}; or tag with no examples: --examples ''") from None
    except OutputError as exc:
        if config.index:
            raise
        raise OutputError(
            f"{exc} (it is the index cached for the examples {examples_path}: set TAGLLM_CACHE_DIR to another "
            "directory, or name one to keep it in with --index)"
        ) from None


def _named_index(config: TaggerConfig, index: Path, taxonomy: Taxonomy, embedder: Embedder) -> ExampleIndex:
    """The index ``config.index`` names with no examples to build it from: a directory is loaded (one of other files,
    or an index cut off before its manifest, is said by the load); anything else is said with what to pass instead."""
    if index.is_dir():
        return _refuse_other_fields(config, ExampleIndex.load(index, taxonomy=taxonomy, embedder=embedder))
    if index.exists():  # often the examples file given as --index: "does not exist" sent users looking
        raise ConfigError(
            f"index {index} is a file, not an index directory; pass the directory tagllm index build wrote, "
            "or the file of labelled products as --examples"
        )
    raise ConfigError(f"index {config.index} does not exist; build it with: tagllm index build EXAMPLES")


def _cache_key(config: TaggerConfig, taxonomy: Taxonomy, embedder: Embedder, examples_path: Path) -> str:
    """The key of the index cached for ``examples_path``: every setting that changes what the index holds is in it,
    so that a run never loads an index built for other examples, fields, photos or precision."""
    digest = file_digest(examples_path)
    # the stacker's features too: an index cached by a tagllm with other evidence would be refitted at every load
    features = ",".join(ALL_FEATURES)
    fields = f"{config.label_field}|{config.attribute_field}" if config.attribute_field else config.label_field
    key = f"{digest}|{taxonomy.version}|{embedder.name}|{fields}|{FORMAT_VERSION}|{features}"
    key += f"|{config.image_embedder}|{config.image_limits.model_dump_json()}|{config.allow_remote_images}"
    # the examples' photos are read there (one not found is left out of the index): the same file in another
    # directory names other photos, and loaded the index of the first's, or of none, without a word
    photo_root = Path(config.image_root) if config.image_root else examples_path.parent
    key += f"|root {photo_root.resolve()}"
    if config.ignore_fields:
        key += f"|ignore {','.join(sorted(config.ignore_fields))}"
    if config.keep_precision != TaggerConfig.model_fields["keep_precision"].default:
        key += f"|keep {config.keep_precision}"  # its stackers fitted for it once, not again at every load
    return hashlib.sha256(key.encode()).hexdigest()


def _refuse_other_fields(config: TaggerConfig, index: ExampleIndex) -> ExampleIndex:
    """``index``, unless the run asks for a label or attribute field other than the one its examples' tags were read
    from: the index was used as it was, without a word (--label-field labels on an index built from gold_category
    tagged the category alone, the examples' attribute labels never read)."""
    if "label_field" not in index.manifest:  # saved by ExampleIndex.save alone: its fields are not known
        return index
    for setting in ("label_field", "attribute_field"):
        asked, built = getattr(config, setting), index.manifest.get(setting)
        if asked_for(config, setting) and asked != built:
            read = f"from {built!r}" if built else "with no attribute field"
            flag = f" --{setting.replace('_', '-')} {asked}" if asked else ""
            raise ConfigError(
                f"{setting} {asked!r} does not match the index {index.path}: its examples' tags were read {read}; "
                f"build the index again with it (tagllm index build EXAMPLES --index {index.path}{flag}), or leave "
                "the setting out to use the index's"
            )
    return index

"""Assembling a Tagger from a config: its index (opened, or built from labelled examples), facets, image encoder
and backend options. The CLI's ``index build`` and ``generate`` and the Python API share these."""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tagllm.candidates import ALL_FEATURES, CandidateScorer
from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError, IndexMismatchError, InputError, OutputError, TaxonomyError
from tagllm.examples_record import edited_photos, file_digest, photo_stamps, refuse_edited_examples, write_photo_record
from tagllm.io.places import check_index_place
from tagllm.models import RecordError
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.examples import RepeatedExample
from tagllm.retrieval.image_encoder import NO_IMAGES, PIXELS, ImageEncoder, check_recorded, get_image_encoder
from tagllm.retrieval.index import ExampleIndex, read_examples
from tagllm.retrieval.index_manifest import FORMAT_VERSION
from tagllm.taxonomy import CATEGORY, Taxonomy

Progress = Callable[[str, int, int | None], None]  # (stage, done, total)
# generate builds no index from examples of which more than this share cannot be used (index build reports them)
MAX_UNUSABLE_EXAMPLES = 0.5


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


class UnusableExamples(InputError):
    """Most of an examples file cannot be used with the taxonomy: a setup mistake, said before the first product."""


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


def build_index(
    examples_path: str | Path,
    taxonomy: Taxonomy,
    embedder: Embedder,
    target: str | Path,
    *,
    label_field: str = "labels",
    attribute_field: str | None = None,
    k: int = TaggerConfig.model_fields["k"].default,
    progress: Progress | None = None,
    errors: list[RecordError] | None = None,
    max_unusable: float | None = None,
    columns: dict[str, str] | None = None,
    image_embedder: str | None = None,
    image_loader: Any = None,
    ignore_fields: Sequence[str] = (),
    keep_precision: float = TaggerConfig.model_fields["keep_precision"].default,
    input_format: str | None = None,
) -> ExampleIndex:
    """Read labelled examples, embed them (and their photos), fit the candidate stackers, and save everything to
    ``target``.

    Unusable examples go to ``errors``; more than ``max_unusable`` of them (a share) stops the build.
    ``attribute_field``: a field of "Key: Value" attribute tags labelling the taxonomy's attribute facets.
    ``image_embedder``: None encodes the examples' photos, if they have any, with the built-in ``pixels`` encoder
    fitted on them; ``none`` leaves photos out; else a CLIP/SigLIP directory. ``image_loader``: where relative image
    paths start and what loading may cost (default: beside the examples file, default limits). ``ignore_fields``:
    product fields the examples are read without (``TaggerConfig.ignore_fields``), recorded in the manifest.
    ``keep_precision``: the precision the attribute stackers' keep thresholds aim at. ``input_format``: jsonl, csv
    or parquet, for a file whose name does not say (default: from its extension)."""
    check_index_place(target)  # before the examples are read and embedded
    # which file, as it is read: a config naming the index and its examples is refused once they are edited
    digest = file_digest(Path(examples_path))
    built_from = {"file": str(Path(examples_path).resolve()), "sha256": digest} if digest else None
    with gc_paused():  # a full collection walks every example for nothing: 0.26 s once in a 2,537-example build
        if progress:
            progress("read", 0, None)
        examples, bad = read_examples(
            examples_path, taxonomy, label_field=label_field, attribute_field=attribute_field, columns=columns,
            ignore_fields=ignore_fields, require_attributes=True, format=input_format,
        )  # fmt: skip
        if errors is not None:
            errors.extend(bad)
        unusable = [e for e in bad if not isinstance(e, RepeatedExample)]  # a file given twice is not unusable
        n_records = len(examples) + len(unusable)
        if max_unusable is not None and len(unusable) > max_unusable * n_records:
            raise UnusableExamples(
                f"{examples_path}: {len(unusable)} of {n_records} examples are unusable, too many to build an index "
                f"from the rest (first: {unusable[0].message}); check --taxonomy and --label-field "
                f"(they are {taxonomy.name!r} and {label_field!r})"
            )
        report = (lambda done, total: progress("embed", done, total)) if progress else None
        if progress:  # the embedder loads here, and counts only more texts than fit in one chunk
            progress("embed", 0, None)
        if image_embedder not in (None, PIXELS, NO_IMAGES) and Path(image_embedder).is_dir():
            # the manifest names the directory for runs started elsewhere: relative, it named it from here only
            image_embedder = str(Path(image_embedder).resolve())
        encoder = get_image_encoder(image_embedder or PIXELS, device=embedder.device)
        if encoder is not None and any(e.images for e in examples):
            encoder.load_weights()  # a directory that is no CLIP model is said now, not once every text is embedded
        if encoder is not None and image_loader is None:
            from tagllm.images import ImageLoader

            image_loader = ImageLoader(root=Path(examples_path).resolve().parent)
        index = ExampleIndex.build(examples, taxonomy, embedder, progress=report)
        photos: dict[str, list[int] | None] = {}
        if encoder is not None and any(e.images for e in examples):
            photos = photo_stamps(examples, image_loader)  # before they are read: one edited meanwhile is caught
            if progress:
                progress("photos", 0, None)
            index.build_photos(encoder, image_loader)
        index.manifest["label_field"] = label_field
        if built_from:
            index.manifest["examples"] = {**built_from, "photos": len(photos)}
            if photos and getattr(image_loader, "root", None) is not None:  # `index add` finds the photos there again
                index.manifest["examples"]["photo_root"] = str(Path(image_loader.root).resolve())
        if attribute_field:  # `index add` reads the reviewed examples' attribute tags from it too
            index.manifest["attribute_field"] = attribute_field
        if ignore_fields:
            index.manifest["ignore_fields"] = sorted(ignore_fields)
        if taxonomy.source and Path(taxonomy.source).exists():
            index.manifest["taxonomy_source"] = str(Path(taxonomy.source).resolve())
        scorer = fit_scorer(index, taxonomy, embedder, k=k, keep_precision=keep_precision, progress=progress)
        save_with_scorer(index, target, scorer, photos)  # a rebuild killed part way leaves the old index and its scorer
    return index


def save_with_scorer(
    index: ExampleIndex, target: str | Path, scorer: CandidateScorer, photos: dict[str, list[int] | None] | None
) -> None:
    """Save ``index`` to ``target`` with its fitted candidate scorer and the record of its examples' photo files, all
    moved in together (``build_index``, ``tagllm.index_add``): a save cut off part way leaves the old index whole."""

    def also(staging: Path) -> None:
        scorer.save(staging)
        write_photo_record(staging, photos)

    index.save(target, also=also)


def fit_scorer(
    index: ExampleIndex,
    taxonomy: Taxonomy,
    embedder: Embedder,
    *,
    k: int = TaggerConfig.model_fields["k"].default,
    keep_precision: float = TaggerConfig.model_fields["keep_precision"].default,
    progress: Progress | None = None,
) -> CandidateScorer:
    """The candidate scorer of ``index``'s labelled facets, its stackers fitted on the index's examples as they are
    now: by ``build_index``, and by ``tagllm index add`` once examples were added or replaced."""
    facets = [f for f in index.manifest["label_facets"] if f in taxonomy.facets]
    scorer = CandidateScorer(taxonomy, index, embedder, facets, k=k, target_precision=keep_precision)
    scorer.fit(progress=(lambda done, total: progress("fit", done, total)) if progress else None)
    return scorer

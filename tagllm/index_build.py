"""Building an example index from a file of labelled examples: read them (refusing a file most of which cannot be
used), embed their texts and photos, record in the manifest what it was built from, fit the candidate scorer, and
save it all together; ``fit_scorer`` and ``save_with_scorer`` serve ``tagllm index add`` too.

Apart from ``tagllm.assembly`` (which opens an index for a run, building one through here when it has to) because
building is a pipeline of its own that ``tagllm index build`` and the Python API call directly; ``build_index`` stays
importable from ``tagllm.assembly``, where the README names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.candidates import CandidateScorer
from tagllm.config import TaggerConfig
from tagllm.errors import InputError
from tagllm.examples_record import file_digest, photo_stamps, write_photo_record
from tagllm.io.places import check_index_place
from tagllm.models import LabelledProduct, RecordError
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.examples import RepeatedExample
from tagllm.retrieval.image_encoder import NO_IMAGES, PIXELS, ImageEncoder, get_image_encoder
from tagllm.retrieval.index import ExampleIndex, read_examples
from tagllm.taxonomy import Taxonomy

if TYPE_CHECKING:
    from tagllm.assembly import Progress


# More than this share of an examples file unusable is a setup mistake (another taxonomy, the wrong label field),
# refused before anything is embedded, by ``tagllm index build``, the API's ``build_index`` and a run building its own.
MAX_UNUSABLE_EXAMPLES = 0.5


class UnusableExamples(InputError):
    """Most of an examples file cannot be used with the taxonomy: a setup mistake, said before the first product."""


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
    max_unusable: float | None = MAX_UNUSABLE_EXAMPLES,
    columns: dict[str, str] | None = None,
    image_embedder: str | None = None,
    image_loader: Any = None,
    ignore_fields: Sequence[str] = (),
    keep_precision: float = TaggerConfig.model_fields["keep_precision"].default,
    input_format: str | None = None,
) -> ExampleIndex:
    """Read labelled examples, embed them (and their photos), fit the candidate stackers, and save everything to
    ``target``.

    Unusable examples go to ``errors``; more than ``max_unusable`` of them (a share; None: no limit) stops the build
    before anything is embedded (``tagllm index build`` built a small index from the few that fit another taxonomy).
    ``attribute_field``: a field of "Key: Value" attribute tags labelling the taxonomy's attribute facets.
    ``image_embedder``: None encodes the examples' photos, if they have any, with the built-in ``pixels`` encoder
    fitted on them; ``none`` leaves photos out; else a CLIP/SigLIP directory. ``image_loader``: where relative image
    paths start and what loading may cost (default: beside the examples file, default limits). ``ignore_fields``:
    product fields the examples are read without (``TaggerConfig.ignore_fields``), recorded in the manifest.
    ``keep_precision``: the precision the attribute stackers' keep thresholds aim at. ``input_format``: jsonl, csv
    or parquet, for a file whose name does not say (default: from its extension)."""
    from tagllm.assembly import gc_paused  # it imports this module to build the index a run needs

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
        _refuse_unusable(examples_path, len(examples), bad, max_unusable, taxonomy, label_field)
        report = (lambda done, total: progress("embed", done, total)) if progress else None
        if progress:  # the embedder loads here, and counts only more texts than fit in one chunk
            progress("embed", 0, None)
        encoder = _examples_image_encoder(image_embedder, embedder, examples)
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
        _record_sources(
            index.manifest, taxonomy, label_field, attribute_field, ignore_fields, built_from, photos, image_loader
        )
        scorer = fit_scorer(index, taxonomy, embedder, k=k, keep_precision=keep_precision, progress=progress)
        save_with_scorer(index, target, scorer, photos)  # a rebuild killed part way leaves the old index and its scorer
    return index


def _refuse_unusable(
    examples_path: str | Path,
    usable: int,
    bad: list[RecordError],
    max_unusable: float | None,
    taxonomy: Taxonomy,
    label_field: str,
) -> None:
    """Stop the build when more than ``max_unusable`` (a share) of the examples cannot be used: a label field or
    taxonomy that does not fit the examples is a setup mistake, not a few bad records. An example given again later in
    the file is not unusable."""
    unusable = [e for e in bad if not isinstance(e, RepeatedExample)]
    n_records = usable + len(unusable)
    if max_unusable is not None and len(unusable) > max_unusable * n_records:
        raise UnusableExamples(
            f"{examples_path}: {len(unusable)} of {n_records} examples are unusable, too many to build an index "
            f"from the rest (first: {unusable[0].message}); check --taxonomy and --label-field "
            f"(they are {taxonomy.name!r} and {label_field!r})"
        )


def _examples_image_encoder(
    image_embedder: str | None, embedder: Embedder, examples: Sequence[LabelledProduct]
) -> ImageEncoder | None:
    """The image encoder the examples' photos go through (None: ``none``, photos left out), its weights loaded now
    when there are photos: a directory that is no CLIP model is said before every text is embedded, not after."""
    if image_embedder not in (None, PIXELS, NO_IMAGES) and Path(image_embedder).is_dir():
        # the manifest names the directory for runs started elsewhere: relative, it named it from here only
        image_embedder = str(Path(image_embedder).resolve())
    encoder = get_image_encoder(image_embedder or PIXELS, device=embedder.device)
    if encoder is not None and any(e.images for e in examples):
        encoder.load_weights()
    return encoder


def _record_sources(
    manifest: dict[str, Any],
    taxonomy: Taxonomy,
    label_field: str,
    attribute_field: str | None,
    ignore_fields: Sequence[str],
    built_from: dict[str, str] | None,
    photos: dict[str, list[int] | None],
    image_loader: Any,
) -> None:
    """Record in the index's manifest what it was built from (the examples file and its digest, the fields read, the
    photos' root, the taxonomy's file): a run that names other fields is refused, an edited examples file is caught,
    and ``index add`` reads reviewed examples as the index's were read."""
    manifest["label_field"] = label_field
    if built_from:
        manifest["examples"] = {**built_from, "photos": len(photos)}
        if photos and getattr(image_loader, "root", None) is not None:  # `index add` finds the photos there again
            manifest["examples"]["photo_root"] = str(Path(image_loader.root).resolve())
    if attribute_field:  # `index add` reads the reviewed examples' attribute tags from it too
        manifest["attribute_field"] = attribute_field
    if ignore_fields:
        manifest["ignore_fields"] = sorted(ignore_fields)
    if taxonomy.source and Path(taxonomy.source).exists():
        manifest["taxonomy_source"] = str(Path(taxonomy.source).resolve())


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

"""Adding reviewed products to a saved example index: the library behind ``tagllm index add``.

``ExampleIndex.add`` grows an index in memory; a saved index also holds the candidate scorer fitted on its examples
and the record of the photo files it read, and another process may be adding to it at the same time. This module
does the whole job as the CLI does it, so a batch job in Python gets the same index as the command."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.config import TaggerConfig

if TYPE_CHECKING:
    from tagllm.assembly import Progress
    from tagllm.models import RecordError
    from tagllm.retrieval.embedder import Embedder
    from tagllm.retrieval.index_review import AddCounts
    from tagllm.taxonomy import Taxonomy


@dataclass
class IndexAddition:
    """What ``add_to_index`` did: the counts of ``ExampleIndex.add``, the records left out (unusable, or given again
    later in the file), the photos that could not be used, and how many examples the index holds now."""

    counts: AddCounts
    errors: list[RecordError]
    image_problems: list[str]
    size: int


def add_to_index(
    examples_path: str | Path,
    index_dir: str | Path,
    taxonomy: Taxonomy,
    embedder: Embedder,
    *,
    label_field: str = "labels",
    attribute_field: str | None = None,
    columns: dict[str, str] | None = None,
    ignore_fields: Sequence[str] = (),
    input_format: str | None = None,
    image_loader: Any = None,
    k: int = TaggerConfig.model_fields["k"].default,
    keep_precision: float = TaggerConfig.model_fields["keep_precision"].default,
    progress: Progress | None = None,
    waiting: Callable[[str], None] | None = None,
) -> IndexAddition:
    """Read the labelled products of ``examples_path`` and add them to the index saved in ``index_dir`` without
    re-embedding the rest; fit the candidate scorer again when anything was added or replaced; save.

    The index is held from before it is loaded until it is saved: another add at the same time waits (``waiting``
    hears why), then adds to what this one saved. ``label_field``, ``attribute_field`` and ``ignore_fields`` should be
    the ones the index was built with (``tagllm.assembly.with_index_settings`` reads them from its manifest).
    ``image_loader``: where relative image paths start (default: beside the examples file)."""
    from tagllm.examples_record import photo_stamps, photos_after_add
    from tagllm.index_build import fit_scorer, save_with_scorer
    from tagllm.retrieval.index import ExampleIndex, read_examples
    from tagllm.retrieval.index_files import writing_index

    if image_loader is None:
        from tagllm.images import ImageLoader

        image_loader = ImageLoader(root=Path(examples_path).resolve().parent)
    if progress:
        progress("index", 0, None)
    with writing_index(index_dir, waiting=waiting or (lambda message: None)):
        index = ExampleIndex.load(index_dir, taxonomy=taxonomy, embedder=embedder)
        if progress:
            progress("read", 0, None)
        new, errors = read_examples(
            examples_path, taxonomy, label_field=label_field, attribute_field=attribute_field, columns=columns,
            ignore_fields=ignore_fields, format=input_format,
        )  # fmt: skip
        attributes = [name for name, f in taxonomy.facets.items() if not f.hierarchical]
        categories = [name for name, f in taxonomy.facets.items() if f.hierarchical]
        # the photos of an index that has them, then the distinct texts of the added and replaced examples (counted
        # by the embedder)
        with embedder.reporting((lambda done, total: progress("embed", done, total)) if progress else None):
            stamps = photo_stamps(new, image_loader)  # before they are read: one edited meanwhile is caught
            before = list(index.examples)
            counts = index.add(
                new, embedder, image_loader=image_loader, attributes=attributes, categories=categories,
                progress=progress,
            )  # fmt: skip
        if counts.added or counts.replaced:
            # the stackers were fitted on the examples the index had: fitted again on these, as build_index fits them
            scorer = fit_scorer(index, taxonomy, embedder, k=k, keep_precision=keep_precision, progress=progress)
            photos = photos_after_add(index, before, stamps, image_loader, counts.kept_photos)  # of those held now
            save_with_scorer(index, index_dir, scorer, photos)
        else:
            index.save(index_dir)
    return IndexAddition(counts=counts, errors=errors, image_problems=index.image_problems, size=len(index))

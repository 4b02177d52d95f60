"""What adding reviewed examples to an index decides before anything is embedded: which examples are new, which
replace an indexed one (keeping the labels and photos the review leaves unsaid), which change nothing, and what the
add reports of them (``AddCounts``, the photos it could not use). Kept apart from ``index`` (what the index holds,
how it searches and is saved) because it is the review's bookkeeping, read and tested on plain examples."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from tagllm.models import ImageUse, LabelledProduct
from tagllm.retrieval.examples import RepeatedExample


@dataclass
class AddCounts:
    """What ``ExampleIndex.add`` did with the examples it was given."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    # ids of replaced examples whose review labels no attribute facet: the attribute labels they had were kept
    kept_attributes: list[str] = field(default_factory=list)
    kept_categories: list[str] = field(default_factory=list)  # ... no category facet: their category labels were kept
    kept_photos: list[str] = field(default_factory=list)  # ... no images, in an index with photos: their photos kept
    # examples whose id a later one of the same call gives again: that one is added, these are not (named "batch:N",
    # 1-based, as ``tagllm index add`` names a file's repeated record by its line)
    repeated: list[RepeatedExample] = field(default_factory=list)


def with_kept_labels(example: LabelledProduct, indexed: LabelledProduct, facets: Collection[str]) -> LabelledProduct:
    """``example``, reviewed, with the labels of ``facets`` the ``indexed`` one it replaces has when it labels none of
    them: a review file of categories alone dropped every replaced example's attribute labels, unsaid, and one of
    attribute tags alone its category labels."""
    if any(f in example.labels for f in facets):
        return example
    kept = {f: ids for f, ids in indexed.labels.items() if f in facets}
    return example.model_copy(update={"labels": {**example.labels, **kept}}) if kept else example


def latest_examples(examples: Sequence[LabelledProduct], repeated: list[RepeatedExample]) -> dict[str, LabelledProduct]:
    """Each id's last example; each example a later one replaces goes to ``repeated``, named as ``read_examples``
    names a file's record given again (the dict alone kept the last without a word)."""
    latest: dict[str, LabelledProduct] = {}
    given: dict[str, int] = {}  # id -> 1-based place of the example kept so far
    for place, example in enumerate(examples, start=1):
        if (earlier := given.get(example.id)) is not None:
            message = f"batch:{earlier}: id {example.id!r} is given again at batch:{place}, whose example is kept"
            repeated.append(RepeatedExample(line=earlier, field="id", record_id=example.id, message=message))
        given[example.id] = place
        latest[example.id] = example
    return latest


def sort_reviewed(
    indexed: Sequence[LabelledProduct],
    latest: dict[str, LabelledProduct],
    attributes: Collection[str],
    categories: Collection[str],
    with_kept_photos: Callable[[LabelledProduct, int], LabelledProduct],
    counts: AddCounts,
) -> tuple[list[tuple[int, LabelledProduct]], list[LabelledProduct]]:
    """The reviewed examples (``latest``, by id) that replace one of the ``indexed`` (with its position), each with
    the labels of ``attributes`` or ``categories`` and the photos (``with_kept_photos``) it leaves unsaid kept from
    the one it replaces, and those that are new; ``counts`` hears the unchanged ones and the ids whose labels or
    photos were kept."""
    position = {e.id: i for i, e in enumerate(indexed)}
    replace: list[tuple[int, LabelledProduct]] = []
    new: list[LabelledProduct] = []
    for example in latest.values():
        i = position.get(example.id)
        if i is None:
            new.append(example)
            continue
        with_attributes = with_kept_labels(example, indexed[i], attributes)
        with_labels = with_kept_labels(with_attributes, indexed[i], categories)
        reviewed = with_kept_photos(with_labels, i)
        if indexed[i] == reviewed:
            counts.unchanged += 1
            continue
        replace.append((i, reviewed))
        if with_attributes is not example:
            counts.kept_attributes.append(example.id)
        if with_labels is not with_attributes:
            counts.kept_categories.append(example.id)
        if reviewed is not with_labels:
            counts.kept_photos.append(example.id)
    return replace, new


def photos_of_a_text_index(examples: Sequence[LabelledProduct]) -> list[str]:
    """Why the photos of examples added to an index of texts alone are not used: it has no image encoder to put
    them through (the pixels one is fitted on the photos an index is built from)."""
    ids = [e.id for e in examples if e.images]
    if not ids:
        return []
    shown = ", ".join(map(repr, ids[:5])) + (f", … ({len(ids) - 5} more)" if len(ids) > 5 else "")
    return [
        f"the photos of {len(ids)} reviewed example(s) ({shown}): the index holds no photos (its examples had none "
        "that could be read when it was built, or it was built with --image-embedder none); to use them, build it "
        "again with tagllm index build from all its examples"
    ]


def photo_problems(examples: Sequence[LabelledProduct], uses: Sequence[Sequence[ImageUse]]) -> list[str]:
    """Each photo that could not be used, named by its example's id (its error names the reference)."""
    return [f"example {e.id!r}: {u.error}" for e, used in zip(examples, uses, strict=True) for u in used if u.error]

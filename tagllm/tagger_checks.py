"""What the tagger's entry points check of their arguments, and how a failure part way keeps the work done: an
unknown facet, a batch size that is no number of products, products in memory given to ``tag_file``, an input that
raises part way."""

from __future__ import annotations

import contextlib
import itertools
import numbers
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tagllm.models import TagResult
    from tagllm.taxonomy import Taxonomy


def check_facet_names(taxonomy: Taxonomy, facets: list[str]) -> None:
    """Each facet named is the taxonomy's, else the error names its facets; ``-f category,color`` (one flag, as
    --keep-columns takes its columns) is told to name each facet with its own -f."""
    from tagllm.errors import TaxonomyError

    for facet in facets:
        parts = [part.strip() for part in facet.split(",")]
        if facet not in taxonomy.facets and len(parts) > 1 and all(part in taxonomy.facets for part in parts):
            raise TaxonomyError(
                f"facet {facet!r}: -f (--facet) names one facet; give each its own: "
                + " ".join(f"-f {part}" for part in parts)
                + " (a config file's facets: a list, ["
                + ", ".join(parts)
                + "])"
            )
        taxonomy.facet_values(facet)  # an unknown facet fails here, naming the taxonomy's facets


def carry_results(exc: BaseException, results: list[TagResult]) -> None:
    """Put ``results`` on ``exc`` (``tagllm_results``), with a note saying so where Python has notes (3.11+). Set
    past the exception's own ``__setattr__``: an exception of the caller's that refuses attributes (a frozen
    dataclass), or Python 3.10's exceptions, which have no ``add_note``, made tag() raise that failure instead,
    the input's own exception and the products tagged before it lost with it."""
    object.__setattr__(exc, "tagllm_results", results)
    add_note = getattr(exc, "add_note", None)
    if results and callable(add_note):
        with contextlib.suppress(Exception):  # a frozen exception refuses the note's ``__notes__`` too
            add_note(f"tagllm: the {len(results)} product(s) tagged before this are in exc.tagllm_results")


def checked_batch_size(size: Any) -> int:
    """A batch size given to ``tag_iter`` / ``tag_batches``: a whole number of products, at least 1 (a negative one
    made an empty range of batches, and every product was dropped without a word)."""
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(
            f"batch_size must be a whole number of products, 1 or more, not {size!r}; "
            "leave it out (None) for the config's batch_size"
        )
    return int(size)


def take(iterator: Iterator[Any], n: int) -> tuple[list[Any], Exception | None]:
    """Up to ``n`` items, and the exception the input raised part way (a database cursor that died), if it did."""
    items: list[Any] = []
    try:
        for item in itertools.islice(iterator, n):
            items.append(item)
    except Exception as exc:
        return items, exc
    return items, None


def check_file_arguments(source: Any, target: Any) -> None:
    """``tag_file`` takes files: products in memory (a DataFrame, a list of dicts) are told to go to ``tag``, where
    Python's "expected str, bytes or os.PathLike object, not DataFrame" said nothing of what to call."""
    from tagllm.io import RecordSource

    if not isinstance(source, str | os.PathLike | RecordSource):
        raise TypeError(
            f"tag_file reads a file of products: give its path (or '-' for stdin), not a {type(source).__name__}; tag "
            'products in memory with tag() or tag_products() (a DataFrame as df.to_dict("records")), and write the '
            "results yourself"
        )
    if not isinstance(target, str | os.PathLike):
        raise TypeError(
            f"tag_file writes a file of results: give its path (or '-' for stdout), not a {type(target).__name__}"
        )

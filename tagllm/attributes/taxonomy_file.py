"""A learned taxonomy's file: the checks before a build reads any product (where it writes, and whether the taxonomy
it extends can be written in the own format), the refusal of a build that learned nothing, and the write. Apart from
``builder`` (which learns from records and writes nothing) so that ``tagllm taxonomy build`` is these calls around
``learn_taxonomy``, as a library user makes them."""

from __future__ import annotations

import os
from pathlib import Path

from tagllm.attributes.builder import LearnedTaxonomy
from tagllm.errors import InputError, OutputError, TaxonomyError
from tagllm.taxonomy import Taxonomy, save_own


def check_build_output(output: str | Path, examples: str | Path) -> None:
    """Refuse, before the products are read, an output the build cannot write: no .yaml or .json name, a place that
    cannot be written, or the products file itself."""
    from tagllm.io.places import check_writable
    from tagllm.taxonomy.own_writer import check_own_path

    check_own_path(output)
    check_writable(output)
    if _same_file(output, examples):
        raise OutputError(f"{output}: is the products file this reads; write the taxonomy to another file")


def check_extendable(base: Taxonomy, output: str | Path) -> None:
    """Refuse, before the products are read, a taxonomy the build could extend but never write: one whose scopes the
    own format cannot say, one whose problems the own format refuses to load, or a build that would write over it."""
    from tagllm.taxonomy.own_writer import check_own_scopes

    check_own_scopes(base)
    if base.source and _same_file(output, base.source):
        # written over, a hand-kept taxonomy lost its comments and layout, and a failed write the taxonomy itself
        raise OutputError(f"{output}: is the taxonomy this extends; write the new one to another file")
    _refuse_unwritable(base)


def _same_file(output: str | Path, other: str | Path) -> bool:
    return Path(output).exists() and Path(other).exists() and os.path.samefile(output, other)


def _refuse_unwritable(base: Taxonomy) -> None:
    """The own format refuses what `taxonomy check` reports (a name with no letters or digits, two names one parent
    holds): a path list holding 'Apparel > ---' was extended and written, exit 0, into a file that did not load."""
    # a synonym or a label two values share loads: said by `taxonomy check`, not refused
    problems = base.check(synonyms=False, labels=False)
    if problems:
        where = base.source or base.name
        raise TaxonomyError(
            f"{where}: {len(problems)} problem(s) the taxonomy file this writes would refuse to load, the first: "
            f"{problems[0]}; fix them in {where} first (`tagllm taxonomy check -t {where}` lists them); nothing "
            "was written"
        )


def refuse_nothing_learned(
    learned: LearnedTaxonomy, examples: str | Path, attribute_field: str | None, label_field: str | None
) -> None:
    """A build that found in no record an attribute tag nor a category of the taxonomy would write the taxonomy it
    extends unchanged, exit 0: misnamed fields (--attribute-field, --label-field) read as success. Said before
    anything is written."""
    tags = learned.attributes.with_tags if learned.attributes is not None else 0
    if not learned.records or tags or learned.with_category:
        return
    fields = f"attribute tags in {attribute_field!r} nor " if attribute_field else ""
    raise InputError(
        f"{examples}: none of its {learned.records} record(s) has {fields}a category of the taxonomy in "
        f"{label_field!r}, so there is nothing to learn and nothing was written; name the fields that hold them with "
        "--attribute-field and --label-field"
    )


def save_learned(learned: LearnedTaxonomy, output: str | Path, examples: str | Path, base: Taxonomy) -> Path:
    """Write the learned taxonomy in the own format, its header naming the products and the taxonomy it came from."""
    header = f"Built by: tagllm taxonomy build {Path(examples).name} (from {base.name}, {learned.records} products)"
    return save_own(learned.taxonomy, output, header=header)

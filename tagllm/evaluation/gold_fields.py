"""What a gold file's fields tell of an eval config: a hidden field, a gold field or attribute field that no record
has (each a misspelling that would leave the run's scores wrong without a word), and, for a sample that came out
empty, the fields and splits the records do have. Kept apart from ``gold`` (reading and resolving the gold values)
because these read only the config and the set of field names."""

from __future__ import annotations

import difflib
from typing import Any

from tagllm.errors import ConfigError
from tagllm.evaluation.config import EvalConfig


def check_hidden(cfg: EvalConfig, fields: set[str]) -> None:
    """Refuse a ``hide_fields`` name that is no product field and no field of any gold record: a misspelt one
    ("atributes") hides nothing, and the tagger reads what it was meant not to see, its scores inflated without a
    word."""
    from tagllm.models import PRODUCT_FIELDS

    known = fields | set(PRODUCT_FIELDS)
    missing = [name for name in cfg.hide_fields if name not in known]
    if not missing:
        return
    named = []
    for name in missing:
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        named.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise ConfigError(
        f"hide_fields names {', '.join(named)}, which no record of {cfg.gold} has (its fields: "
        f"{', '.join(sorted(fields))}): a name no record has hides nothing, and the tagger would read the field meant "
        "to be hidden; write each name as the gold file spells it"
    )


def check_gold_field(cfg: EvalConfig, fields: set[str]) -> None:
    """Refuse a ``gold_field`` named in the config that no record of the gold file has: a misspelt one
    ("gold_categry") beside a ``gold_attribute_field`` left the category unscored, and the run tagged every product
    and reported the attributes alone, exit 0. The default's absence is no mistake: a gold file may hold attribute
    gold alone."""
    name = cfg.gold_field
    if name == EvalConfig.model_fields["gold_field"].default:
        return
    _refuse_missing(cfg, "gold_field", name, fields, "no gold value would be read from it")


def check_gold_attribute_field(cfg: EvalConfig, fields: set[str]) -> None:
    """Refuse a ``gold_attribute_field`` that no record of the gold file has: a misspelt one ("gold_attribute_tag")
    left every attribute facet unscored, and the run tagged every product and reported the category alone, exit 0."""
    if cfg.gold_attribute_field is not None:
        _refuse_missing(cfg, "gold_attribute_field", cfg.gold_attribute_field, fields, "no attribute would be scored")


def _refuse_missing(cfg: EvalConfig, setting: str, name: str, fields: set[str], consequence: str) -> None:
    """Refuse the field the config's ``setting`` names where the gold file's records have fields and none is it,
    naming the closest field they have and what the run would miss (``consequence``)."""
    if not fields or name in fields:
        return
    close = difflib.get_close_matches(name, sorted(fields), n=1, cutoff=0.75)
    raise ConfigError(
        f"{setting} names {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "") + ", which no record of "
        f"{cfg.gold} has (its fields: {', '.join(sorted(fields))}): {consequence}; write the name as the gold file "
        "spells it"
    )


def no_gold_field(cfg: EvalConfig, fields: set[str], no_gold: list[dict[str, Any]]) -> str:
    """The fields the gold records have, when none has the gold field (the default's, which ``check_gold_field``
    lets pass: gold under another name, "category", was said to be no gold value in 'gold_category' alone)."""
    if not no_gold or cfg.gold_field in fields:
        return ""
    return (
        f"; no record has a {cfg.gold_field!r} field (their fields: {', '.join(sorted(fields))}): name the one holding "
        "the gold values (gold_field)"
    )


def other_splits(cfg: EvalConfig, in_split: int, splits: set[str]) -> str:
    """The splits the gold records have, when the one asked for has none of them (misspelt: "tst" for "test")."""
    if cfg.split is None or in_split:
        return ""
    given = sorted(splits - {"None"})
    if not given:
        return f"; no record has a {cfg.split_field!r} field"
    return f"; its records' splits are {', '.join(given)}: name one of them (split:, or --split)"

"""Whole answers: parse a raw model answer, map each string within its facet, apply the facet rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tagllm.mapping.base import Mapped, MappedAnswer, Outcome, strength
from tagllm.mapping.keys import keys, label_key
from tagllm.mapping.spelling import american_spelling
from tagllm.models import MappingInfo, Rejection
from tagllm.parsing import Item, is_abstention, items, labelled_object, parse_answer, split_list
from tagllm.taxonomy import Taxonomy, Value
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MAX_ANSWER_CHARS = 30_000
"""A parsed answer longer than this (as text) is not parsed into tags: no model answer listing tags is this long."""
_FACET_WORDS = frozenset({"category", "categories", "tag", "tags", "answer", "label", "labels", "value", "output"})


def map_answer(
    mapper: Mapper,
    raw: str,
    facets: Sequence[str] | None = None,
    *,
    allowed: dict[str, set[str]] | None = None,
    add_ancestors: bool = False,
) -> MappedAnswer:
    """``Mapper.map_answer``: see there."""
    taxonomy = mapper.taxonomy
    facet_list = list(facets) if facets else list(taxonomy.facets)
    default_facet = facet_list[0] if facets else None
    rejected: list[Rejection] = []
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    if not raw.strip():
        return MappedAnswer({}, [Rejection(facet=default_facet, text=raw[:200], reason="empty answer")], raw, 0, 0)
    parsed = facet_object(mapper, parse_answer(raw), facet_list)
    if isinstance(parsed, str) and len(parsed) > MAX_ANSWER_CHARS:
        reason = f"answer too long to parse ({len(parsed)} characters)"
        return MappedAnswer({}, [Rejection(facet=default_facet, text=parsed[:200], reason=reason)], parsed, 1, 1)

    pending, answered = _strings_by_facet(mapper, parsed, facet_list, default_facet, rejected)
    if not pending and not rejected and not _is_empty_answer(parsed, raw):
        # '"""' or a bare code fence: the model wrote something, but nothing that could be a tag
        reason = "no tags found in the answer"
        return MappedAnswer({}, [Rejection(facet=default_facet, text=raw[:200], reason=reason)], parsed, 0, 0)
    outcomes = _mapped_strings(mapper, pending, rejected)
    raw_strings = len(outcomes)
    off_taxonomy = sum(1 for _, _, o in outcomes if o.mapped.method not in ("id", "exact"))
    found: dict[str, list[tuple[Value, MappingInfo]]] = {}
    for facet, text, outcome in outcomes:
        placed = _placed(mapper, facet, text, outcome, facet_list, allowed, rejected)
        if placed is not None:
            found.setdefault(placed[0].facet, []).append(placed)

    tags: dict[str, list[tuple[Value, MappingInfo]]] = {}
    for facet in facet_list:
        if facet in found:
            kept, dropped = apply_facet_rules(taxonomy, facet, found[facet], add_ancestors=add_ancestors)
            tags[facet] = kept
            rejected.extend(dropped)
    if isinstance(parsed, dict) and facets and allowed is not None:
        rejected.extend(_missing_required(taxonomy, facet_list, allowed, answered | tags.keys()))
    return MappedAnswer(tags, rejected, parsed, raw_strings, off_taxonomy)


def _strings_by_facet(
    mapper: Mapper, parsed: Any, facet_list: list[str], default_facet: str | None, rejected: list[Rejection]
) -> tuple[list[tuple[str | None, str]], set[str | None]]:
    """The answer's strings with the facet each belongs to (abstentions left out), and the facets the answer has a
    key for (a null too). A key that names no facet is the default facet's where it is a word like "tags", the one
    facet's where one was asked; else, in an object, its strings go to ``rejected`` as of an unknown facet, and in
    plain text the key is read as part of the string."""
    pending: list[tuple[str | None, str]] = []
    answered: set[str | None] = set()
    for item in answer_items(mapper, parsed, facet_list):
        facet = facet_for_key(mapper, item.key, default_facet) or asked_facet_for_key(item.key, facet_list)
        text = item.text
        if item.key is not None and facet is None:
            if item.key.strip().casefold() in _FACET_WORDS:
                facet = default_facet
            elif len(facet_list) == 1:
                facet = facet_list[0]
            else:
                text = f"{item.key}: {item.text}" if isinstance(parsed, str) else text
                if not isinstance(parsed, str):
                    if is_abstention(text):
                        continue
                    rejected.append(Rejection(facet=item.key, text=text, reason=f"unknown facet {item.key!r}"))
                    continue
        answered.add(facet)
        if is_abstention(text):
            continue
        pending.append((facet, text))
    return pending, answered


def _mapped_strings(
    mapper: Mapper, pending: list[tuple[str | None, str]], rejected: list[Rejection]
) -> list[tuple[str | None, str, Outcome]]:
    """Each string mapped within its facet; a string that fails whole is mapped again as the parts of a
    comma/semicolon list, after the others (in a facet that takes one value, read as ``_single_value_parts``
    says)."""
    outcomes: list[tuple[str | None, str, Outcome]] = []
    first = map_pairs(mapper, pending)
    lists: list[tuple[str | None, list[str]]] = []
    for (facet, text), outcome in zip(pending, first, strict=True):
        parts = split_list(text) if outcome.mapped.value is None and outcome.elsewhere is None else []
        parts = [part for part in parts if not is_abstention(part)] if len(parts) > 1 else []
        if parts:
            lists.append((facet, parts))
        else:
            outcomes.append((facet, text, outcome))
    retry = [(facet, part) for facet, parts in lists for part in parts]
    mapped = iter(map_pairs(mapper, retry))
    for facet, parts in lists:
        read = [(facet, part, next(mapped)) for part in parts]
        outcomes.extend(_single_value_parts(read, rejected) if _takes_one(mapper, facet) else read)
    return outcomes


def _single_value_parts(
    read: list[tuple[str | None, str, Outcome]], rejected: list[Rejection]
) -> list[tuple[str | None, str, Outcome]]:
    """The parts of a list that a facet taking one value reads. A listing title names its product first and then its
    features, parts and what comes with it ("Hamster Cage with Wheel, Water Bottle", "Chainsaw with 20 Inch Bar, 2
    Chains"): its first part is read alone, and where that part maps to nothing the string is left open rather than
    tagged with an accessory. A sentence whose clause after the comma goes on in lower case ("Based on the title, it
    belongs in Kettles.") is prose, not a title: each part is read, as in a facet that takes several values."""
    facet, lead, outcome = read[0]
    if outcome.mapped.value is None and any(part[:1].islower() for _, part, _ in read[1:]):
        return read
    later = ", ".join(part for _, part, _ in read[1:])
    reason = f"read for no value after {lead!r}: the facet takes one value, which a list names first"
    rejected.append(Rejection(facet=facet, text=later, reason=reason))
    return read[:1]


def _takes_one(mapper: Mapper, facet: str | None) -> bool:
    """Whether a facet takes a single value (the category); a string of no facet may name values of several."""
    spec = mapper.taxonomy.facets.get(facet) if facet is not None else None
    return spec is not None and not spec.multi_valued


def _placed(
    mapper: Mapper,
    facet: str | None,
    text: str,
    outcome: Outcome,
    facet_list: list[str],
    allowed: dict[str, set[str]] | None,
    rejected: list[Rejection],
) -> tuple[Value, MappingInfo] | None:
    """The value a mapped string tags the product with, and how it was mapped; None, with the reason in
    ``rejected``, where it maps to nothing, to a facet not asked for, or outside the allowed values. A value of
    another facet asked for moves there (the model put it under the wrong key); a name of several values that the
    allowed values hold one of is that one."""
    mapped = outcome.mapped
    value = mapped.value
    if value is None and outcome.elsewhere is not None:
        other = outcome.elsewhere
        if other.facet not in facet_list:
            rejected.append(Rejection(facet=facet, text=text, reason=mapped.reason or "not mapped"))
            return None
        value = other  # the model put a value under the wrong key: move it where it belongs
    method = mapped.method or outcome.method
    if (
        outcome.candidates
        and allowed is not None
        and facet in allowed
        and (value is None or value.id not in allowed[facet])
    ):
        # "T-Shirts" names five Shopify categories (read as the general one); the product's candidates may hold
        # just one of them
        inside = [vid for vid in outcome.candidates if vid in allowed[facet]]
        if len(inside) == 1:
            value, method = mapper.values[inside[0]], outcome.method
    if value is None:
        rejected.append(Rejection(facet=facet, text=text, reason=mapped.reason or "not mapped"))
        return None
    if value.facet not in facet_list:
        reason = f"{value.name!r} ({value.id}) is a value of facet {value.facet!r}, which was not asked for"
        rejected.append(Rejection(facet=facet, text=text, reason=reason))
        return None
    if allowed is not None and value.facet in allowed and value.id not in allowed[value.facet]:
        reason = f"{value.name!r} ({value.id}) is not among the allowed values of facet {value.facet!r}"
        rejected.append(Rejection(facet=value.facet, text=text, reason=reason))
        return None
    return value, MappingInfo(raw=text, method=method or "exact", score=mapped.score if mapped.value else 1.0)


def answer_items(mapper: Mapper, parsed: Any, facets: Sequence[str]) -> list[Item]:
    """The strings of a parsed answer with their keys (``parsing.items``), where an object of one ``type`` key (or
    ``facet``, ``attribute``, ``group``) whose string names no facet is that string under that key: ``items`` reads
    ``{"type": "T-Shirts"}`` as a facet record left without its value, as ``{"type": "color"}`` is, and the answer was
    dropped without a word (the facet titled Type, asked or not, or the one facet asked reads it now)."""
    found = items(parsed)
    if not isinstance(parsed, dict) or len(found) != 1 or found[0].text or found[0].key is None:
        return found
    label = found[0].key
    if facet_for_key(mapper, label, None) or asked_facet_for_key(label, facets):
        return found
    key = next((str(k).strip() for k, v in parsed.items() if v == label), None)
    return [Item(key, label)] if key is not None else found


def facet_object(mapper: Mapper, parsed: Any, facets: Sequence[str]) -> Any:
    """A top-level list whose every string is a "Label: value" whose label names a facet (``["category: Stand
    Mixers", "color: Red"]``) as the object it means; every item was read as a value of the first facet asked for,
    and "color: Red" was rejected there. Any other answer as parsed: a list with an item not so labelled is a list of
    values ("Kitchen: Stand Mixers" names no facet)."""
    if not isinstance(parsed, list):
        return parsed
    named = labelled_object(parsed)
    if named is None or any(
        facet_for_key(mapper, label, None) is None and asked_facet_for_key(label, facets) is None for label in named
    ):
        return parsed
    return named


def _missing_required(
    taxonomy: Taxonomy, facets: list[str], allowed: dict[str, set[str]], answered: set[str | None]
) -> list[Rejection]:
    """A rejection for each required facet, asked with candidates, that an answer object has no key for: the
    schema requires one, and without it the facet came out empty as if the model had abstained."""
    return [
        Rejection(facet=facet, text="", reason=f"the answer has no {facet!r} key; the facet is required")
        for facet in facets
        if facet not in answered and allowed.get(facet) and taxonomy.facets[facet].required
    ]


def answer_from_ids(
    taxonomy: Taxonomy,
    ids: dict[str, list[str]],
    facets: Sequence[str],
    *,
    allowed: dict[str, set[str]] | None = None,
    parsed: Any = None,
) -> MappedAnswer:
    """An answer given as value ids per facet (the retrieval backend's), checked as ``map_answer`` checks a parsed
    one, without parsing and mapping strings: an id that is not a value of the taxonomy, is a value of another facet
    or of one not asked for, or is not among the ``allowed`` values is rejected; then the facet rules apply."""
    found: dict[str, list[tuple[Value, MappingInfo]]] = {}
    rejected: list[Rejection] = []
    count = 0
    for facet, chosen in ids.items():
        for vid in chosen:
            count += 1
            value = taxonomy.values.get(vid)
            if value is None or value.facet != facet:
                rejected.append(Rejection(facet=facet, text=vid, reason=f"{vid!r} is not a value of facet {facet!r}"))
            elif facet not in facets:
                reason = f"{value.name!r} ({vid}) is a value of facet {facet!r}, which was not asked for"
                rejected.append(Rejection(facet=facet, text=vid, reason=reason))
            elif allowed is not None and facet in allowed and vid not in allowed[facet]:
                reason = f"{value.name!r} ({vid}) is not among the allowed values of facet {facet!r}"
                rejected.append(Rejection(facet=facet, text=vid, reason=reason))
            else:
                found.setdefault(facet, []).append((value, MappingInfo(raw=vid, method="id", score=1.0)))
    tags: dict[str, list[tuple[Value, MappingInfo]]] = {}
    for facet in facets:
        if facet in found:
            tags[facet], dropped = apply_facet_rules(taxonomy, facet, found[facet], add_ancestors=False)
            rejected.extend(dropped)
    return MappedAnswer(tags, rejected, parsed, count, 0)


def apply_facet_rules(
    taxonomy: Taxonomy, facet: str, found: list[tuple[Value, MappingInfo]], *, add_ancestors: bool
) -> tuple[list[tuple[Value, MappingInfo]], list[Rejection]]:
    """Duplicates collapse; a path written as a list folds into its leaf; a single-valued facet keeps the best."""
    spec = taxonomy.facets[facet]
    best: dict[str, tuple[Value, MappingInfo]] = {}
    for value, info in found:  # duplicates collapse onto the most faithful mapping
        old = best.get(value.id)
        if old is None or strength(info) > strength(old[1]):
            best[value.id] = (value, info)
    ordered = list(best.values())  # first written first, as the model ranked them
    dropped: list[Rejection] = []
    if spec.hierarchical:
        # ["Apparel", "Tops", "T-Shirts"] is one path written as a list: the ancestors are implied by the leaf
        ids = {v.id for v, _ in ordered}
        implied = {a.id for v, _ in ordered for a in taxonomy.ancestors(v.id)} & ids
        ordered = [(v, i) for v, i in ordered if v.id not in implied]
    if not spec.multi_valued and len(ordered) > 1:
        keep = max(ordered, key=lambda pair: strength(pair[1]))
        for value, info in ordered:
            if value.id != keep[0].id:
                reason = f"facet {facet!r} takes one value; kept {keep[0].name!r} ({keep[0].id})"
                dropped.append(Rejection(facet=facet, text=info.raw, reason=reason))
        ordered = [keep]
    if add_ancestors and spec.hierarchical:
        present = {v.id for v, _ in ordered}
        extra: list[tuple[Value, MappingInfo]] = []
        for value, info in ordered:
            for ancestor in taxonomy.ancestors(value.id):
                if ancestor.id not in present:
                    present.add(ancestor.id)
                    extra.append((ancestor, MappingInfo(raw=info.raw, method="ancestor", score=info.score)))
        ordered = ordered + extra
    return ordered, dropped


def facet_for_key(mapper: Mapper, key: str | None, default: str | None) -> str | None:
    """The facet a key of an answer names ("colour", "Color", "颜色"), by name, title or label."""
    if key is None:
        return default
    table = _facet_keys(mapper)
    found = table.get(keys(key)[1]) or table.get(label_key(key))
    if found is None and (american := american_spelling(normalize(key))) != normalize(key):
        found = table.get(keys(american)[1])  # "colour", "Colours" for Shopify's color
    return found


def asked_facet_for_key(key: str | None, asked: Sequence[str]) -> str | None:
    """The one asked-for facet whose name ends in the key's words ("gender" when target-gender was asked for, "tire
    type" for atv-tire-type), in American spelling; None when none or several do ("type" of two "-type" facets)."""
    if key is None:
        return None
    words = american_spelling(normalize(key)).split()
    if not words:
        return None
    ending = [f for f in asked if american_spelling(normalize(f.replace("-", " "))).split()[-len(words) :] == words]
    return ending[0] if len(ending) == 1 else None


def _facet_keys(mapper: Mapper) -> dict[str, str]:
    cached: dict[str, str] | None = getattr(mapper, "_facet_keys", None)
    if cached is None:
        cached = {}
        for name, spec in mapper.taxonomy.facets.items():
            for text in (name, spec.title, *(label for _, label in spec.labels)):
                if text:
                    cached.setdefault(keys(text)[1], name)
                    cached.setdefault(label_key(text), name)
        mapper._facet_keys = cached  # type: ignore[attr-defined]
    return cached


def map_pairs(mapper: Mapper, pairs: list[tuple[str | None, str]]) -> list[Outcome]:
    """(facet, string) pairs, mapped in one batch per facet; an unknown facet is a rejection, not an error."""
    by_facet: dict[str | None, list[int]] = {}
    for i, (facet, _) in enumerate(pairs):
        by_facet.setdefault(facet, []).append(i)
    out: list[Outcome | None] = [None] * len(pairs)
    for facet, idx in by_facet.items():
        if facet is not None and facet not in mapper.taxonomy.facets:
            for i in idx:
                out[i] = Outcome(Mapped(pairs[i][1], facet, None, None, 0.0, f"unknown facet {facet!r}"))
            continue
        for i, outcome in zip(idx, mapper.map_batch([pairs[i][1] for i in idx], facet), strict=True):
            out[i] = outcome
    return [o for o in out if o is not None]


def _is_empty_answer(parsed: Any, raw: str) -> bool:
    """An answer that abstains as a whole: null, {}, [], "none", or an object whose every value abstains."""
    if parsed is None or isinstance(parsed, dict | list):
        return True
    return isinstance(parsed, str) and is_abstention(parsed) and is_abstention(raw.strip().strip("`"))

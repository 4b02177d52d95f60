"""The validator: free text (any shape of model output, English or Chinese) onto taxonomy values, or a rejection."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tagllm import cache
from tagllm.models import MappingInfo, Rejection
from tagllm.parsing import has_path_separator, is_abstention, items, parse_answer, split_list, split_path
from tagllm.taxonomy import Taxonomy, Value
from tagllm.text import normalize, singular

if TYPE_CHECKING:
    from tagllm.retrieval.embedder import Embedder

METHODS = ("id", "exact", "normalized", "synonym", "translation", "fuzzy", "embedding")
"""Stages cheapest first; the first that answers confidently wins. Reports group mapped tags by these."""

DEFAULT_FUZZY_THRESHOLD = 0.75
DEFAULT_EMBEDDING_THRESHOLD = 0.85
DEFAULT_FUZZY_MARGIN = 0.03
DEFAULT_EMBEDDING_MARGIN = 0.03
# Thresholds (and WORD_FLOOR) were chosen on benchmarks/mapping_bench.py --seed 1, reported on --seed 2
# (docs/mapping.md); the margins were not swept.

MAX_TAG_CHARS = 300
"""A tag longer than this is not a tag (the longest Shopify path is about 150 characters)."""
MAX_FUZZY_WORDS = 12
"""A string of more words that matched nothing exactly is a sentence, not a tag: no fuzzy or embedding guess."""
MIN_FUZZY_CHARS = 4
"""Below this, one typo is a different word ("Tan" / "Tin"), so short strings must match exactly or not at all."""
SHORT_FUZZY_THRESHOLD = 0.8
"""Strings under 6 characters need this similarity at least: one edit in four letters is another word too often
("Wool" / "Wood")."""
WORD_FLOOR = 0.6
"""Fuzzy matches need every word within this similarity of a word on the other side (see ``_words_agree``)."""
TABLES_VERSION = 7
"""Bump when the keys below change: cached tables of an older shape are then rebuilt."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FORMAT = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_GID = re.compile(r"^gid://shopify/Taxonomy(?:Category|Value|Attribute)/(.+)$")
_DIGITS = re.compile(r"\d+")
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,60}\b(instruction|rule|prompt|previous|above|constraint|"
    r"taxonomy|system)s?\b|\b(you are|you must|you should|act as|pretend|system prompt|jailbreak)\b|"
    r"\b(output|respond with|reply with|answer with|print|return|say|write)\b.{0,40}\b(instead|only|regardless|"
    r"anyway|no matter)\b",
    re.IGNORECASE | re.DOTALL,
)
_METHOD_RANK = {m: i for i, m in enumerate(METHODS)}
_FACET_WORDS = frozenset({"category", "categories", "tag", "tags", "answer", "label", "labels", "value", "output"})


@dataclass(frozen=True, slots=True)
class Mapped:
    """One string's outcome: a taxonomy value with how it was found, or the reason it was rejected."""

    text: str
    facet: str | None
    value: Value | None
    method: str | None
    score: float
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass
class MappedAnswer:
    """A whole raw model answer, parsed and mapped, facet rules applied."""

    tags: dict[str, list[tuple[Value, MappingInfo]]]
    rejected: list[Rejection]
    parsed: Any
    raw_strings: int
    off_taxonomy: int


@dataclass
class _Outcome:
    """A mapping with what the cheap stages saw in other facets (for moving a value to the facet it belongs to)."""

    mapped: Mapped
    elsewhere: Value | None = None
    candidates: tuple[str, ...] = ()  # the values an ambiguous string was torn between
    method: str | None = None  # the stage that found the candidates
    final: bool = True  # False: the fuzzy stage may still find the string in its own facet


# -- keys --------------------------------------------------------------------------------------------------
def _exact_key(text: str) -> str:
    return " ".join(text.split())


_IRREGULAR = {
    "men": "man",
    "women": "woman",
    "children": "child",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
    "geese": "goose",
    "people": "person",
}


def _stem(word: str) -> str:
    """``text.singular`` plus endings it leaves apart, folded the same way on both sides so that they meet.

    'knives'/'knife' and 'shelves'/'shelf' meet on '-v', 'cookies'/'cookie' on '-y', 'buses'/'bus' by
    dropping a final 'e'. These are comparison keys, never shown, so a stem such as 'shelv' is fine.
    """
    word = singular(word)
    word = _IRREGULAR.get(word, word)
    if len(word) < 3 or not word.isascii():
        return word
    if word.endswith("ie"):
        return word[:-2] + "y"
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("f") and not word.endswith("ff"):
        word = word[:-1] + "v"
    return word


def _iter_keys(text: str) -> Iterator[str]:
    """``_keys`` one at a time: most strings match on the first, and the stems cost more than the lookups."""
    norm = normalize(text)
    yield norm
    sing = " ".join(_stem(w) for w in norm.split() if w != "s")
    yield sing
    yield sing.replace(" ", "")
    yield " ".join(sorted(sing.split()))


def _keys(text: str) -> tuple[str, str, str, str]:
    """normalize, singular, compact (no spaces) and word-sorted keys: each a looser reading than the one before."""
    norm = normalize(text)
    # a lone "s" is a possessive cut off by the normaliser ("women's" -> "women s")
    sing = " ".join(_stem(w) for w in norm.split() if w != "s")
    return norm, sing, sing.replace(" ", ""), " ".join(sorted(sing.split()))


def _label_key(text: str) -> str:
    """Other-language labels (Chinese) compare without spaces or punctuation: '运动 鞋' = '运动鞋'."""
    return normalize(text).replace(" ", "")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def _scripts(text: str) -> set[str]:
    return {_script(ch) for ch in text if ch.isalpha()}


def _label_scripts(texts: Iterable[str]) -> set[str]:
    """Scripts some label is written in entirely: the 'µ' of 'µm' does not make Greek a language of the taxonomy."""
    texts = [unicodedata.normalize("NFKC", t) for t in texts]
    script_of = {ch: _script(ch) for ch in set("".join(texts)) if ch.isalpha()}
    out: set[str] = set()
    for text in texts:
        found = {script_of[ch] for ch in text if ch in script_of}
        if len(found) == 1:
            out |= found
    return out


# -- the tables --------------------------------------------------------------------------------------------
_NAME_TABLES = ("norm", "sing", "compact", "sorted")
Table = dict[str, str]
"""key -> the values it names, packed as "facet\x1fid\x1eid\x1dfacet\x1fid": flat strings load from JSON several
times faster than nested dicts and lists, and most keys name a single value of a single facet."""
_FACETS_SEP, _FACET_SEP, _ID_SEP = "\x1d", "\x1f", "\x1e"


def _pack(table: dict[str, dict[str, list[str]]]) -> Table:
    return {
        key: _FACETS_SEP.join(facet + _FACET_SEP + _ID_SEP.join(ids) for facet, ids in by_facet.items())
        for key, by_facet in table.items()
    }


@dataclass
class _Tables:
    """Lookup tables built once per taxonomy version and cached on disk as JSON (never pickle)."""

    exact: Table
    names: dict[str, Table]  # one table per key kind in _NAME_TABLES
    synonyms: dict[str, Table]
    labels: Table
    exact_labels: Table
    scripts: list[str]

    @classmethod
    def build(cls, taxonomy: Taxonomy) -> _Tables:
        exact: dict[str, dict[str, list[str]]] = {}
        names: dict[str, dict[str, dict[str, list[str]]]] = {k: {} for k in _NAME_TABLES}
        synonyms: dict[str, dict[str, dict[str, list[str]]]] = {k: {} for k in _NAME_TABLES}
        labels: dict[str, dict[str, list[str]]] = {}
        exact_labels: dict[str, dict[str, list[str]]] = {}

        def put(table: dict[str, dict[str, list[str]]], key: str, value: Value) -> None:
            if key:
                ids = table.setdefault(key, {}).setdefault(value.facet, [])
                if value.id not in ids:
                    ids.append(value.id)

        texts: set[str] = set()
        for value in taxonomy.values.values():
            put(exact, _exact_key(value.name), value)
            for kind, key in zip(_NAME_TABLES, _keys(value.name), strict=True):
                put(names[kind], key, value)
            if value.path and value.path != value.name:
                # a full path needs no singular or reordered reading: the path stage matches it segment by segment
                put(exact, _exact_key(value.path), value)
                put(names["norm"], normalize(value.path), value)
            for synonym in value.synonyms:
                for kind, key in zip(_NAME_TABLES, _keys(synonym), strict=True):
                    put(synonyms[kind], key, value)
            for _, label in value.labels:
                put(labels, _label_key(label), value)
                put(exact_labels, _exact_key(label), value)
            texts.update((value.name, *value.synonyms, *(label for _, label in value.labels)))
        scripts = _label_scripts(texts)
        return cls(
            _pack(exact),
            {k: _pack(t) for k, t in names.items()},
            {k: _pack(t) for k, t in synonyms.items()},
            _pack(labels),
            _pack(exact_labels),
            sorted(scripts),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "exact": self.exact,
            "names": self.names,
            "synonyms": self.synonyms,
            "labels": self.labels,
            "exact_labels": self.exact_labels,
            "scripts": self.scripts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Tables:
        return cls(
            data["exact"], data["names"], data["synonyms"], data["labels"], data["exact_labels"], data["scripts"]
        )


def _slug(text: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40]
    return f"{safe}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def _atomic_write(path: Path, write: Any, suffix: str) -> None:
    """Write via a temporary file and rename, so a crashed or concurrent run never leaves half a cache file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class _FuzzyIndex:
    """One facet's (or the whole taxonomy's) choices for rapidfuzz: normalised names and synonyms."""

    choices: list[str]
    sorted_choices: list[str]
    ids: list[list[str]]
    digits: list[tuple[str, ...]]


@dataclass
class _EmbeddingIndex:
    """One facet's label embeddings (names and synonyms), rows aligned with ``ids``."""

    texts: list[str]
    ids: list[list[str]]
    vectors: np.ndarray


@dataclass
class _Hit:
    ids: list[str]
    method: str
    score: float = 1.0
    ambiguous_key: str | None = None


# -- the mapper --------------------------------------------------------------------------------------------
class Mapper:
    """Maps free text onto one taxonomy: id ▸ exact ▸ normalized ▸ synonym ▸ translation ▸ fuzzy ▸ embedding.

    Each stage runs only for the strings the stages before it left open; the embedder is built the first time a
    string reaches the embedding stage. Ambiguous strings (two values equally close) are rejected, not guessed.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        embedder: Embedder | None = None,
        use_embeddings: bool = True,
        fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD,
        embedding_threshold: float = DEFAULT_EMBEDDING_THRESHOLD,
        fuzzy_margin: float = DEFAULT_FUZZY_MARGIN,
        embedding_margin: float = DEFAULT_EMBEDDING_MARGIN,
        cache_dir: Path | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.use_embeddings = use_embeddings
        self.fuzzy_threshold = fuzzy_threshold
        self.embedding_threshold = embedding_threshold
        self.fuzzy_margin = fuzzy_margin
        self.embedding_margin = embedding_margin
        self.cache_dir = Path(cache_dir) if cache_dir is not None else cache.cache_dir()
        self._embedder = embedder
        self._values = taxonomy.values
        self._fuzzy: dict[str | None, _FuzzyIndex] = {}
        self._embedding: dict[str | None, _EmbeddingIndex] = {}
        self._facet_keys: dict[str, str] | None = None
        self._handles: dict[str, str] | None = None
        started = time.perf_counter()
        self._tables, self.tables_cached = self._load_tables()
        self.load_seconds = time.perf_counter() - started
        self._known_scripts = frozenset(self._tables.scripts)

    # -- caching --------------------------------------------------------------------------------------------
    @property
    def _table_dir(self) -> Path:
        tax = self.taxonomy
        return self.cache_dir / "mapping" / f"{_slug(tax.name)}-{tax.version}-v{TABLES_VERSION}"

    def _load_tables(self) -> tuple[_Tables, bool]:
        path = self._table_dir / "tables.json"
        if path.exists():
            try:
                return _Tables.from_json(json.loads(path.read_bytes())), True
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache file is rebuilt below, never trusted
        tables = _Tables.build(self.taxonomy)
        try:
            data = json.dumps(tables.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
            _atomic_write(path, lambda handle: handle.write(data), ".json")
        except OSError:
            pass  # a read-only cache dir only costs the build next time
        return tables, False

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from tagllm.retrieval.embedder import Embedder

            self._embedder = Embedder()
        return self._embedder

    # -- public API -----------------------------------------------------------------------------------------
    def map(self, texts: Sequence[str], facet: str | None = None) -> list[Mapped]:
        """Map each string onto a value of ``facet`` (any facet when None); one ``Mapped`` per string, in order."""
        strings = [t if isinstance(t, str) else "" if t is None else str(t) for t in texts]
        return [o.mapped for o in self._map_batch(strings, facet)]

    def map_one(self, text: str, facet: str | None = None) -> Mapped:
        return self.map([text], facet)[0]

    def map_answer(
        self,
        raw: str,
        facets: Sequence[str] | None = None,
        *,
        allowed: dict[str, set[str]] | None = None,
        add_ancestors: bool = False,
    ) -> MappedAnswer:
        """Parse a raw model answer of any shape, map every string within its facet, apply the facet rules.

        Bare strings and lists mean the first of ``facets``; a JSON object maps facet -> value(s). ``null``,
        "none", "none of these" mean the model abstained: no tag and no rejection. ``allowed`` (facet -> ids, e.g.
        this product's candidates) rejects values outside it.
        """
        facet_list = list(facets) if facets else list(self.taxonomy.facets)
        default_facet = facet_list[0] if facets else None
        rejected: list[Rejection] = []
        if not isinstance(raw, str):
            raw = "" if raw is None else str(raw)
        if not raw.strip():
            return MappedAnswer({}, [Rejection(facet=default_facet, text=raw[:200], reason="empty answer")], raw, 0, 0)
        parsed = parse_answer(raw)
        if isinstance(parsed, str) and len(parsed) > MAX_TAG_CHARS * 100:
            reason = f"answer too long to parse ({len(parsed)} characters)"
            return MappedAnswer({}, [Rejection(facet=default_facet, text=parsed[:200], reason=reason)], parsed, 1, 1)

        # 1. strings with the facet each belongs to
        pending: list[tuple[str | None, str]] = []
        for item in items(parsed):
            facet = self._facet_for_key(item.key, facet_list, default_facet)
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
            if is_abstention(text):
                continue
            pending.append((facet, text))

        if not pending and not rejected and not _is_empty_answer(parsed, raw):
            # '"""' or a bare code fence: the model wrote something, but nothing that could be a tag
            reason = "no tags found in the answer"
            return MappedAnswer({}, [Rejection(facet=default_facet, text=raw[:200], reason=reason)], parsed, 0, 0)

        # 2. map; a string that fails whole is retried as the parts of a comma/semicolon list
        outcomes: list[tuple[str | None, str, _Outcome]] = []
        first = self._map_pairs(pending)
        retry: list[tuple[str | None, str]] = []
        for (facet, text), outcome in zip(pending, first, strict=True):
            parts = split_list(text) if outcome.mapped.value is None and outcome.elsewhere is None else []
            if len(parts) > 1:
                retry.extend((facet, part) for part in parts if not is_abstention(part))
            else:
                outcomes.append((facet, text, outcome))
        if retry:
            outcomes.extend((f, t, o) for (f, t), o in zip(retry, self._map_pairs(retry), strict=True))

        # 3. facet rules
        raw_strings = len(outcomes)
        off_taxonomy = sum(1 for _, _, o in outcomes if o.mapped.method not in ("id", "exact"))
        found: dict[str, list[tuple[Value, MappingInfo]]] = {}
        for facet, text, outcome in outcomes:
            mapped = outcome.mapped
            value = mapped.value
            if value is None and outcome.elsewhere is not None:
                other = outcome.elsewhere
                if other.facet in facet_list:
                    value = other  # the model put a value under the wrong key: move it where it belongs
                else:
                    rejected.append(Rejection(facet=facet, text=text, reason=mapped.reason or "not mapped"))
                    continue
            method = mapped.method or outcome.method
            if value is None and outcome.candidates and allowed is not None and facet in allowed:
                # "T-Shirts" names five Shopify categories; the product's candidates may hold just one of them
                inside = [vid for vid in outcome.candidates if vid in allowed[facet]]
                if len(inside) == 1:
                    value, method = self._values[inside[0]], outcome.method
            if value is None:
                rejected.append(Rejection(facet=facet, text=text, reason=mapped.reason or "not mapped"))
                continue
            if value.facet not in facet_list:
                reason = f"{value.name!r} ({value.id}) is a value of facet {value.facet!r}, which was not asked for"
                rejected.append(Rejection(facet=facet, text=text, reason=reason))
                continue
            if allowed is not None and value.facet in allowed and value.id not in allowed[value.facet]:
                reason = f"{value.name!r} ({value.id}) is not among the allowed values of facet {value.facet!r}"
                rejected.append(Rejection(facet=value.facet, text=text, reason=reason))
                continue
            info = MappingInfo(raw=text, method=method or "exact", score=mapped.score if mapped.value else 1.0)
            found.setdefault(value.facet, []).append((value, info))

        tags: dict[str, list[tuple[Value, MappingInfo]]] = {}
        for facet in facet_list:
            if facet in found:
                kept, dropped = self._apply_facet_rules(facet, found[facet], add_ancestors=add_ancestors)
                tags[facet] = kept
                rejected.extend(dropped)
        return MappedAnswer(tags, rejected, parsed, raw_strings, off_taxonomy)

    # -- facet rules ----------------------------------------------------------------------------------------
    def _apply_facet_rules(
        self, facet: str, found: list[tuple[Value, MappingInfo]], *, add_ancestors: bool
    ) -> tuple[list[tuple[Value, MappingInfo]], list[Rejection]]:
        spec = self.taxonomy.facets[facet]
        best: dict[str, tuple[Value, MappingInfo]] = {}
        for value, info in found:  # duplicates collapse onto the most faithful mapping
            old = best.get(value.id)
            if old is None or _strength(info) > _strength(old[1]):
                best[value.id] = (value, info)
        ordered = list(best.values())  # first written first, as the model ranked them
        dropped: list[Rejection] = []
        if spec.hierarchical:
            # ["Apparel", "Tops", "T-Shirts"] is one path written as a list: the ancestors are implied by the leaf
            ids = {v.id for v, _ in ordered}
            implied = {a.id for v, _ in ordered for a in self.taxonomy.ancestors(v.id)} & ids
            ordered = [(v, i) for v, i in ordered if v.id not in implied]
        if not spec.multi_valued and len(ordered) > 1:
            keep = max(ordered, key=lambda pair: _strength(pair[1]))
            for value, info in ordered:
                if value.id != keep[0].id:
                    reason = f"facet {facet!r} takes one value; kept {keep[0].name!r} ({keep[0].id})"
                    dropped.append(Rejection(facet=facet, text=info.raw, reason=reason))
            ordered = [keep]
        if add_ancestors and spec.hierarchical:
            present = {v.id for v, _ in ordered}
            extra: list[tuple[Value, MappingInfo]] = []
            for value, info in ordered:
                for ancestor in self.taxonomy.ancestors(value.id):
                    if ancestor.id not in present:
                        present.add(ancestor.id)
                        extra.append((ancestor, MappingInfo(raw=info.raw, method="ancestor", score=info.score)))
            ordered = ordered + extra
        return ordered, dropped

    def _facet_for_key(self, key: str | None, facets: list[str], default: str | None) -> str | None:
        if key is None:
            return default
        if self._facet_keys is None:
            keys: dict[str, str] = {}
            for name, spec in self.taxonomy.facets.items():
                for text in (name, spec.title, *(label for _, label in spec.labels)):
                    if text:
                        keys.setdefault(_keys(text)[1], name)
                        keys.setdefault(_label_key(text), name)
            self._facet_keys = keys
        facet = self._facet_keys.get(_keys(key)[1]) or self._facet_keys.get(_label_key(key))
        return facet

    # -- the stages -----------------------------------------------------------------------------------------
    def _map_pairs(self, pairs: list[tuple[str | None, str]]) -> list[_Outcome]:
        by_facet: dict[str | None, list[int]] = {}
        for i, (facet, _) in enumerate(pairs):
            by_facet.setdefault(facet, []).append(i)
        out: list[_Outcome | None] = [None] * len(pairs)
        for facet, idx in by_facet.items():
            if facet is not None and facet not in self.taxonomy.facets:
                for i in idx:
                    reason = f"unknown facet {facet!r}"
                    out[i] = _Outcome(Mapped(pairs[i][1], facet, None, None, 0.0, reason))
                continue
            for i, outcome in zip(idx, self._map_batch([pairs[i][1] for i in idx], facet), strict=True):
                out[i] = outcome
        return [o for o in out if o is not None]

    def _map_batch(self, texts: list[str], facet: str | None) -> list[_Outcome]:
        if facet is not None and facet not in self.taxonomy.facets:
            from tagllm.errors import TaxonomyError

            raise TaxonomyError(
                f"taxonomy {self.taxonomy.name!r} has no facet {facet!r}; its facets are: "
                f"{', '.join(list(self.taxonomy.facets)[:20])}"
            )
        done: dict[str, _Outcome] = {}
        slow: list[str] = []
        fallback: dict[str, _Outcome] = {}
        for text in texts:
            if text in done:
                continue
            outcome = self._cheap(text, facet)
            done[text] = outcome or _Outcome(Mapped(text, facet, None, None, 0.0, "pending"))
            if outcome is None or not outcome.final:
                slow.append(text)
                if outcome is not None:
                    fallback[text] = outcome
        if slow:
            for text, outcome in zip(slow, self._expensive(slow, facet, fallback), strict=True):
                done[text] = outcome
        return [done[text] for text in texts]

    def _reject(self, text: str, facet: str | None, reason: str, score: float = 0.0) -> _Outcome:
        return _Outcome(Mapped(text, facet, None, None, score, reason))

    def _accept(self, text: str, facet: str | None, value: Value, method: str, score: float = 1.0) -> _Outcome:
        return _Outcome(Mapped(text, facet if facet is not None else value.facet, value, method, score, None))

    def _cheap(self, raw: str, facet: str | None) -> _Outcome | None:
        """Input checks, then the id, exact, normalized, synonym, translation and path stages; None = go on."""
        if not isinstance(raw, str):
            raw = "" if raw is None else str(raw)
        text = raw.strip()
        if not text:
            return self._reject(raw, facet, "empty string")
        if len(text) > MAX_TAG_CHARS:
            return self._reject(raw[:MAX_TAG_CHARS], facet, f"too long for a tag ({len(text)} characters)")
        if not text.isprintable():  # one C-speed check for the common case; the regexes only when it fails
            if _CONTROL.search(text):
                return self._reject(raw, facet, "contains control characters")
            if _FORMAT.search(text):  # zero-width spaces and soft hyphens come with copy-paste; they mean nothing
                text = _FORMAT.sub("", text).strip()
                if not text:
                    return self._reject(raw, facet, "empty string")

        # id, gid or handle: what the retrieval backend and well-behaved models emit
        vid = text if text in self._values else None
        if vid is None and text.startswith("gid:"):
            gid = _GID.match(text)
            vid = gid.group(1) if gid and gid.group(1) in self._values else None
        if vid is None and "__" in text:
            vid = self._handle(text)
        if vid is not None:
            value = self._values[vid]
            if facet is None or value.facet == facet:
                clash = self._tables.exact.get(_exact_key(text))
                clash_ids = _scope(clash, facet) if clash else []
                if not clash_ids or clash_ids == [vid]:
                    return self._accept(raw, facet, value, "id")
                # "10" is an id and also a name ("10" the size): read as the name
        hit, elsewhere, where = self._lookup(text, facet)
        if hit is None and has_path_separator(text):
            hit = self._path(text, facet)
        if hit is not None:
            if hit.ambiguous_key is not None:
                outcome = self._reject(raw, facet, self._ambiguity(hit.ids, facet, hit.ambiguous_key))
                outcome.candidates, outcome.method = tuple(hit.ids), hit.method
                return outcome
            return self._accept(raw, facet, self._values[hit.ids[0]], hit.method, hit.score)
        if elsewhere:
            other = self._values[elsewhere[0]]
            reason = (
                f"{other.name!r} ({other.id}) is a value of facet {other.facet!r}, not {facet!r}"
                if len(elsewhere) == 1
                else f"{text!r} names values of other facets ({', '.join(sorted({self._values[i].facet for i in elsewhere})[:5])}), not {facet!r}"  # noqa: E501
            )
            return _Outcome(
                Mapped(raw, facet, None, None, 0.0, reason),
                other if len(elsewhere) == 1 else None,
                method=where,
                final=False,
            )
        return None

    def _handle(self, text: str) -> str | None:
        """The id of a Shopify-style handle ("color__red"); the table is built from the taxonomy on first use."""
        if self._handles is None:
            self._handles = {v.handle: v.id for v in self._values.values() if v.handle}
        return self._handles.get(text)

    def _lookup(self, text: str, facet: str | None) -> tuple[_Hit | None, list[str], str]:
        """Exact, normalized, synonym and translation tables.

        Also returns the ids this text names in other facets, and the stage that found them there.
        """
        tables = self._tables
        elsewhere: list[str] = []
        where = ""
        found = tables.exact.get(_exact_key(text))
        if found:
            ids = _scope(found, facet)
            if ids:
                return _hit(ids, "exact", text), [], ""
            elsewhere, where = _scope(found, None), "exact"
        # a label written exactly as the taxonomy has it ("SDS +") outranks a looser reading of a name ("SDS")
        found = tables.exact_labels.get(_exact_key(text))
        if found:
            ids = _scope(found, facet)
            if ids:
                return _hit(ids, "translation", text), [], ""
        for kind, key in zip(_NAME_TABLES, _iter_keys(text), strict=False):
            if not key:
                continue
            for table, method in ((tables.names[kind], "normalized"), (tables.synonyms[kind], "synonym")):
                found = table.get(key)
                if found:
                    ids = _scope(found, facet)
                    if ids:
                        return _hit(ids, method, text), [], ""
                    if not elsewhere:
                        elsewhere, where = _scope(found, None), method
        found = tables.labels.get(_label_key(text))
        if found:
            ids = _scope(found, facet)
            if ids:
                return _hit(ids, "translation", text), [], ""
            if not elsewhere:
                elsewhere, where = _scope(found, None), "translation"
        return None, elsewhere, where

    def _segment(self, text: str, facet: str | None) -> dict[str, tuple[str, float]]:
        """Values a path segment can name (id -> method, score): every table, then fuzzy when they all miss."""
        tables = self._tables
        out: dict[str, tuple[str, float]] = {}
        for vid in _scope(tables.exact.get(_exact_key(text)), facet):
            out.setdefault(vid, ("exact", 1.0))
        keys = _keys(text)
        for kind, key in zip(_NAME_TABLES, keys, strict=True):
            for table, method in ((tables.names[kind], "normalized"), (tables.synonyms[kind], "synonym")):
                for vid in _scope(table.get(key), facet):
                    out.setdefault(vid, (method, 1.0))
            if out:
                return out
        for vid in _scope(tables.labels.get(_label_key(text)), facet):
            out.setdefault(vid, ("translation", 1.0))
        if out or len(keys[0]) < MIN_FUZZY_CHARS:
            return out
        candidates = self._fuzzy_candidates(keys[0], facet)
        if candidates and candidates[0][1] >= self.fuzzy_threshold:
            for ids, score in candidates:
                for vid in ids:
                    out.setdefault(vid, ("fuzzy", score))
        return out

    def _path(self, text: str, facet: str | None) -> _Hit | None:
        """'Shoes > Running', 'a/b/c', '服装 › 上衣': the last segment names the value, the others its ancestors."""
        segments = split_path(text)
        if facet is not None and len(segments) > 1:
            spec = self.taxonomy.facets[facet]
            head = _keys(segments[0])[1]
            if head in {_keys(spec.name)[1], _keys(spec.title or spec.name)[1], "category"}:
                segments = segments[1:]  # "Color > Red", "Category / Shoes": the facet's own name is no segment
        if len(segments) == 1:
            hit, _, _ = self._lookup(segments[0], facet)
            return hit
        if len(segments) < 2 or len(segments) > 12:
            return None
        last = self._segment(segments[-1], facet)
        if not last:
            return None
        before = [self._segment(s, facet) for s in segments[:-1]]
        strict: list[str] = []
        loose: list[str] = []
        for vid in last:
            lineage = [a.id for a in self.taxonomy.ancestors(vid)]
            # strict: the segments are the value's nearest ancestors, in order; loose: in order, gaps allowed
            if len(before) <= len(lineage) and all(
                lineage[len(lineage) - len(before) + i] in seg for i, seg in enumerate(before)
            ):
                strict.append(vid)
                continue
            position = 0
            for seg in before:
                while position < len(lineage) and lineage[position] not in seg:
                    position += 1
                if position == len(lineage):
                    break
                position += 1
            else:
                loose.append(vid)
        chosen = strict or loose
        if not chosen:
            return None
        if len(chosen) > 1:
            return _Hit(chosen, "normalized", 0.0, ambiguous_key=text)
        vid = chosen[0]
        methods = [last[vid]] + [
            seg[a] for seg, a in zip(before, self._matched_ancestors(vid, before), strict=False) if a in seg
        ]
        method = max((m for m, _ in methods), key=lambda m: _METHOD_RANK[m])
        method = method if _METHOD_RANK[method] > _METHOD_RANK["exact"] else "normalized"
        score = min(s for _, s in methods)
        return _Hit([vid], method, score)

    def _matched_ancestors(self, vid: str, before: list[dict[str, tuple[str, float]]]) -> list[str]:
        lineage = [a.id for a in self.taxonomy.ancestors(vid)]
        out: list[str] = []
        position = 0
        for seg in before:
            while position < len(lineage) and lineage[position] not in seg:
                position += 1
            out.append(lineage[position] if position < len(lineage) else "")
            position += 1
        return out

    def _expensive(
        self, texts: list[str], facet: str | None, fallback: dict[str, _Outcome] | None = None
    ) -> list[_Outcome]:
        """Fuzzy for every string the cheap stages left open, then one embedding batch for those still open.

        ``fallback`` holds strings the cheap stages found in another facet: fuzzy may still find them in their
        own facet ("Tonge" is a meat cut's typo, not the category "Tongs"); else they keep that finding.
        """
        fallback = fallback or {}
        results: list[_Outcome | None] = [None] * len(texts)
        to_embed: list[int] = []
        for i, raw in enumerate(texts):
            if raw in fallback:
                key = normalize(raw)
                found = self._fuzzy_one(raw, key, facet) if len(key) >= MIN_FUZZY_CHARS else None
                results[i] = found if found is not None and found.mapped.value is not None else fallback[raw]
                continue
            text = _FORMAT.sub("", raw).strip()
            scripts = _scripts(unicodedata.normalize("NFKC", text))
            if not scripts:
                results[i] = self._reject(raw, facet, "no letters: not a tag")
                continue
            unknown = scripts - self._known_scripts
            if unknown and not scripts & self._known_scripts:
                what = ", ".join(sorted(s.title() for s in unknown))
                results[i] = self._reject(raw, facet, f"written in a script the taxonomy has no labels for ({what})")
                continue
            if _INSTRUCTION.search(text):
                results[i] = self._reject(raw, facet, "looks like an instruction, not a tag")
                continue
            words = len(text.split())
            if words > MAX_FUZZY_WORDS:
                results[i] = self._reject(raw, facet, f"too long for a tag ({words} words) and matches no value")
                continue
            key = normalize(text)
            if len(key.replace(" ", "")) >= MIN_FUZZY_CHARS:
                outcome = self._fuzzy_one(raw, key, facet)
                if outcome is not None:
                    results[i] = outcome
                    continue
            to_embed.append(i)
        if to_embed:
            if self.use_embeddings:
                embedded = self._embed([texts[i] for i in to_embed], facet)
                for i, outcome in zip(to_embed, embedded, strict=True):
                    results[i] = outcome
            else:
                for i in to_embed:
                    results[i] = self._reject(texts[i], facet, self._no_match_reason(facet))
        return [r for r in results if r is not None]

    def _no_match_reason(self, facet: str | None) -> str:
        return f"no value of facet {facet!r} is close enough" if facet else "no value is close enough"

    # -- fuzzy ----------------------------------------------------------------------------------------------
    def _fuzzy_index(self, facet: str | None) -> _FuzzyIndex:
        index = self._fuzzy.get(facet)
        if index is None:
            values = self.taxonomy.facet_values(facet) if facet else list(self._values.values())
            by_key: dict[str, list[str]] = {}
            for value in values:
                for text in (value.name, *value.synonyms):
                    ids = by_key.setdefault(normalize(text), [])
                    if value.id not in ids:
                        ids.append(value.id)
            choices = [k for k in by_key if k]
            index = _FuzzyIndex(
                choices,
                [" ".join(sorted(c.split())) for c in choices],
                [by_key[c] for c in choices],
                [tuple(_DIGITS.findall(c)) for c in choices],
            )
            self._fuzzy[facet] = index
        return index

    def _fuzzy_candidates(self, key: str, facet: str | None) -> list[tuple[list[str], float]]:
        """Choices within the margin of the best, best first, as (ids, score).

        The score is Damerau-Levenshtein similarity (a swapped pair of letters is one typo) on the folded key,
        or on word-sorted keys when the words were reordered. A choice must also agree on its numbers and pass
        the word check, so "Door mSATA" is not read as "Door Mats".
        """
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

        index = self._fuzzy_index(facet)
        if not index.choices:
            return []
        cutoff = self.fuzzy_threshold - self.fuzzy_margin
        scores: dict[int, float] = {}
        queries = [(key, index.choices)]
        if " " in key:
            queries.append((" ".join(sorted(key.split())), index.sorted_choices))
        for query, choices in queries:
            # Levenshtein is bit-parallel and fast; it counts a swap as two edits, so it shortlists with a looser
            # cutoff and Damerau-Levenshtein (a swap is one typo) scores the shortlist
            shortlist = process.extract(
                query, choices, scorer=Levenshtein.normalized_similarity, limit=20, score_cutoff=max(cutoff - 0.2, 0)
            )
            for _, _, j in shortlist:
                score = DamerauLevenshtein.normalized_similarity(query, choices[j])
                if score >= cutoff:
                    scores[j] = max(scores.get(j, 0.0), score)
        digits = tuple(_DIGITS.findall(key))
        ranked = sorted(
            (
                (s, j)
                for j, s in scores.items()
                if tuple(sorted(index.digits[j])) == tuple(sorted(digits)) and _words_agree(key, index.choices[j])
            ),
            key=lambda pair: -pair[0],
        )
        if not ranked:
            return []
        best = ranked[0][0]
        return [(index.ids[j], s) for s, j in ranked if s >= best - self.fuzzy_margin]

    def _fuzzy_one(self, raw: str, key: str, facet: str | None) -> _Outcome | None:
        candidates = self._fuzzy_candidates(key, facet)
        if not candidates:
            return None
        ids = list(dict.fromkeys(vid for group, _ in candidates for vid in group))
        best = candidates[0][1]
        if best < (self.fuzzy_threshold if len(key) >= 6 else max(self.fuzzy_threshold, SHORT_FUZZY_THRESHOLD)):
            return None
        if len(ids) > 1:
            outcome = self._reject(raw, facet, self._ambiguity(ids, facet, raw, "close to"), best)
            outcome.candidates, outcome.method = tuple(ids), "fuzzy"
            return outcome
        return self._accept(raw, facet, self._values[ids[0]], "fuzzy", round(best, 4))

    # -- embedding ------------------------------------------------------------------------------------------
    def _embedding_index(self, facet: str | None) -> _EmbeddingIndex:
        index = self._embedding.get(facet)
        if index is not None:
            return index
        values = self.taxonomy.facet_values(facet) if facet else list(self._values.values())
        by_text: dict[str, list[str]] = {}
        for value in values:
            for text in (value.name, *value.synonyms):
                ids = by_text.setdefault(text, [])
                if value.id not in ids:
                    ids.append(value.id)
        texts = list(by_text)
        digest = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
        name = _slug(self.embedder.name)
        # content-addressed (the digest covers the facet's label texts), so a synonym edit that changes the taxonomy
        # version re-embeds only the facets whose labels changed
        path = self.cache_dir / "mapping" / "embeddings" / name / f"{_slug(facet or '_all')}-{digest}.npy"
        vectors: np.ndarray | None = None
        if path.exists():
            try:
                vectors = np.load(path, allow_pickle=False)
                if vectors.shape[0] != len(texts):
                    vectors = None
            except (OSError, ValueError):
                vectors = None
        if vectors is None:
            vectors = self.embedder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
            with contextlib.suppress(OSError):  # a read-only cache dir only costs the encoding next time
                _atomic_write(path, lambda handle: np.save(handle, vectors, allow_pickle=False), ".npy")
        index = _EmbeddingIndex(texts, [by_text[t] for t in texts], vectors)
        self._embedding[facet] = index
        return index

    def _embed(self, texts: list[str], facet: str | None) -> list[_Outcome]:
        index = self._embedding_index(facet)
        if not index.texts:
            return [self._reject(t, facet, self._no_match_reason(facet)) for t in texts]
        queries = self.embedder.encode([_FORMAT.sub("", t).strip() for t in texts])
        sims = queries @ index.vectors.T
        out: list[_Outcome] = []
        for raw, row in zip(texts, sims, strict=True):
            top = np.argsort(-row)[:8]
            best = float(row[top[0]])
            if best < self.embedding_threshold:
                out.append(self._reject(raw, facet, self._no_match_reason(facet), round(best, 4)))
                continue
            close = [j for j in top if float(row[j]) >= best - self.embedding_margin]
            ids = list(dict.fromkeys(vid for j in close for vid in index.ids[j]))
            if len(ids) > 1:
                out.append(self._reject(raw, facet, self._ambiguity(ids, facet, raw, "equally close to"), best))
            else:
                out.append(self._accept(raw, facet, self._values[ids[0]], "embedding", round(best, 4)))
        return out

    # -- explanations ---------------------------------------------------------------------------------------
    def _ambiguity(self, ids: Sequence[str], facet: str | None, text: str, how: str = "names") -> str:
        facets = sorted({self._values[i].facet for i in ids})
        shown = "; ".join(self._describe(i, facet is None and len(facets) > 1) for i in list(ids)[:3])
        more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
        hint = "give the facet" if facet is None and len(facets) > 1 else "give the full path or the id"
        return f"ambiguous: {text!r} {how} {len(ids)} values ({shown}{more}); {hint}"

    def _describe(self, vid: str, with_facet: bool) -> str:
        value = self._values[vid]
        where = value.path or value.name
        return f"{value.facet}: {where} [{vid}]" if with_facet else f"{where} [{vid}]"


def _words_agree(key: str, choice: str, floor: float | None = None) -> bool:
    """Every word of each side is close to some word of the other: typos pass, a swapped-in word does not.

    When a space was dropped or added ("lapelpin" / "lapel pin") the word counts differ: then the words joined
    up may differ by two typos at most.
    """
    from rapidfuzz.distance import DamerauLevenshtein

    floor = WORD_FLOOR if floor is None else floor
    ours, theirs = key.split(), choice.split()
    if len(ours) != len(theirs):
        return DamerauLevenshtein.distance("".join(ours), "".join(theirs)) <= 2
    sim = DamerauLevenshtein.normalized_similarity
    return all(max(sim(w, t) for t in theirs) >= floor for w in ours) and all(
        max(sim(t, w) for w in ours) >= floor for t in theirs
    )


def _scope(packed: str | None, facet: str | None) -> list[str]:
    """The ids a packed table entry names in ``facet`` (in every facet when None)."""
    if not packed:
        return []
    if _FACETS_SEP not in packed:
        name, ids = packed.split(_FACET_SEP, 1)
        return ids.split(_ID_SEP) if facet is None or name == facet else []
    out: list[str] = []
    for group in packed.split(_FACETS_SEP):
        name, ids = group.split(_FACET_SEP, 1)
        if facet is None:
            out.extend(ids.split(_ID_SEP))
        elif name == facet:
            return ids.split(_ID_SEP)
    return out


def _hit(ids: list[str], method: str, text: str) -> _Hit:
    return _Hit(ids, method, 1.0, ambiguous_key=text if len(ids) > 1 else None)


def _is_empty_answer(parsed: Any, raw: str) -> bool:
    """An answer that abstains as a whole: null, {}, [], "none", or an object whose every value abstains."""
    if parsed is None or isinstance(parsed, dict | list):
        return True
    return isinstance(parsed, str) and is_abstention(parsed) and is_abstention(raw.strip().strip("`"))


def _strength(info: MappingInfo) -> tuple[int, float]:
    return (-_METHOD_RANK.get(info.method, len(METHODS)), info.score)


def map_strings(taxonomy: Taxonomy, texts: Iterable[str], facet: str | None = None, **options: Any) -> list[Mapped]:
    """One-shot helper: build a ``Mapper`` (tables come from the cache) and map ``texts``."""
    return Mapper(taxonomy, **options).map(list(texts), facet)


__all__ = ["METHODS", "Mapped", "MappedAnswer", "Mapper", "map_strings"]

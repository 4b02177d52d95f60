"""The Mapper: a chain of small stages, cheapest first, that maps strings onto one taxonomy or rejects them."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm import cache
from tagllm.mapping.base import Batch, Mapped, MappedAnswer, Outcome, Stage
from tagllm.mapping.chain import build_chain
from tagllm.mapping.repeats import general_value, plain_whole
from tagllm.mapping.screening import deny_negations
from tagllm.mapping.tables import load_tables
from tagllm.taxonomy import Taxonomy, Value

if TYPE_CHECKING:
    from tagllm.assembly import Progress
    from tagllm.backends.base import Backend
    from tagllm.retrieval.embedder import Embedder

DEFAULT_FUZZY_THRESHOLD = 0.75
DEFAULT_EMBEDDING_THRESHOLD = 0.85
DEFAULT_FUZZY_MARGIN = 0.03
DEFAULT_EMBEDDING_MARGIN = 0.03
TIE_MARGIN = 0.1
TIE_FLOOR = 0.6
"""A rule's candidates are settled by the embedder only when the nearest is this similar and leads by the margin."""
# Thresholds (and fuzzy.WORD_FLOOR) were chosen on benchmarks/mapping_bench.py --seed 1, reported on --seed 2
# (docs/mapping.md); the margins were not swept.


@dataclass
class StageStats:
    """What one stage did over a mapper's life: strings it saw, decided (accepted, rejected), seconds spent."""

    seen: int = 0
    accepted: int = 0
    rejected: int = 0
    seconds: float = 0.0


class Mapper:
    """Maps free text onto one taxonomy through a chain of stages (``self.stages``), cheapest first.

    screen ▸ id ▸ exact ▸ normalized ▸ synonym ▸ alias ▸ derived ▸ translation ▸ path ▸ zh_head ▸ zh_cell ▸
    zh_facet_word ▸ zh_stem ▸ cup ▸
    foreign_path ▸ guard ▸ privative ▸ imitation ▸ colour ▸ lexical ▸ swap ▸ lead ▸ name_part ▸ modifier ▸ spelling ▸
    colour_code ▸
    colour_noun ▸ clause ▸ paraphrase ▸
    title ▸ spec ▸ clip ▸ fuzzy ▸ embedding ▸ contained ▸ gloss ▸ wording ▸ llm. Each stage reads only the strings the
    stages before it left open, and decides those it can. Then a guess that dropped the negation a string opens with is
    taken back (``deny_negations``: "do not tumble dry" is no Tumble dry). The chain is listed in
    ``chain.build_chain``, where a new stage is added.
    A stage that finds two or more values rejects the string as ambiguous instead of guessing. The embedder is
    built the first time a string reaches the embedding stage; WordNet is read the first time a string reaches the
    lexical stage; the LLM stage runs only when a backend is given. ``facets`` limits the lookup tables to those
    facets' values (a tagger maps its own facets only; a string is then never read as a value of another facet).
    ``progress(stage, done, total)`` hears of the long steps of a first run: the tables built (``mapping``), the
    embedder loaded and the labels embedded (``embedder``, ``labels``).
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        embedder: Embedder | None = None,
        use_embeddings: bool = True,
        use_lexicon: bool = True,
        backend: Backend | None = None,
        fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD,
        embedding_threshold: float = DEFAULT_EMBEDDING_THRESHOLD,
        fuzzy_margin: float = DEFAULT_FUZZY_MARGIN,
        embedding_margin: float = DEFAULT_EMBEDDING_MARGIN,
        cache_dir: Path | None = None,
        facets: Collection[str] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.progress = progress
        self.values = taxonomy.values
        self.use_embeddings = use_embeddings
        self.fuzzy_threshold = fuzzy_threshold
        self.embedding_threshold = embedding_threshold
        self.fuzzy_margin = fuzzy_margin
        self.embedding_margin = embedding_margin
        self.cache_dir = Path(cache_dir) if cache_dir is not None else cache.cache_dir()
        self._embedder = embedder
        self._handles: dict[str, str] | None = None
        started = time.perf_counter()
        if progress:
            progress("mapping", 0, None)
        self.tables, self.tables_cached = load_tables(taxonomy, self.cache_dir, facets)
        self.load_seconds = time.perf_counter() - started
        self.known_scripts = frozenset(self.tables.scripts)
        chain = build_chain(self, use_embeddings=use_embeddings, use_lexicon=use_lexicon, backend=backend)
        self.stages, self.lookups, self.naming = chain.stages, chain.lookups, chain.naming
        self.lexical: Stage | None = chain.lexical
        self.colour, self.fuzzy = chain.colour, chain.fuzzy
        self.stats: dict[str, StageStats] = {s.name: StageStats() for s in self.stages}
        self.stats["negation"] = StageStats()  # guesses that dropped the string's opening negation, taken back
        self.trusted = frozenset({"id", "path", "privative", *(s.name for s in self.lookups)})
        """Methods whose values a string names outright (a privative value names the lack a string opens with: "no
        gluten" is Gluten-free): the negation check leaves them be."""

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from tagllm.retrieval.embedder import Embedder

            self._embedder = Embedder()
        return self._embedder

    # -- public API -----------------------------------------------------------------------------------------
    def map(self, texts: Sequence[str], facet: str | None = None) -> list[Mapped]:
        """Map each string onto a value of ``facet`` (any facet when None); one ``Mapped`` per string, in order."""
        if isinstance(texts, str | bytes):  # iterated, it would be mapped letter by letter, each letter rejected
            raise TypeError(
                f"Mapper.map takes a list of strings, not a single {type(texts).__name__}; for one string, pass "
                "[text] or call map_one(text)"
            )
        strings = [t if isinstance(t, str) else "" if t is None else str(t) for t in texts]
        return [o.mapped for o in self.map_batch(strings, facet)]

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
        from tagllm.mapping.answers import map_answer

        return map_answer(self, raw, facets, allowed=allowed, add_ancestors=add_ancestors)

    # -- the chain ------------------------------------------------------------------------------------------
    def map_batch(self, texts: list[str], facet: str | None) -> list[Outcome]:
        """Every string through the stages (each distinct string once); one outcome per string, in order."""
        self.check_facet(facet)
        batch = Batch(facet, list(dict.fromkeys(texts)))
        for stage in self.stages:
            if not batch.open():
                break
            stats = self.stats[stage.name]
            before = len(batch.done)
            stats.seen += len(batch.open())
            started = time.perf_counter()
            stage.run(batch)
            stats.seconds += time.perf_counter() - started
            for raw in list(batch.done)[before:]:
                if batch.done[raw].mapped.value is not None:
                    stats.accepted += 1
                else:
                    stats.rejected += 1
        self.stats["negation"].rejected += deny_negations(self, batch, self.trusted)
        self.close(batch)
        return [batch.done[text] for text in texts]

    def lookup(self, texts: Iterable[str], facet: str | None, stages: Sequence[Stage] | None = None) -> Batch:
        """Run some stages (the table stages by default) on other strings, e.g. a string with its modifiers removed."""
        batch = Batch(facet, list(dict.fromkeys(texts)))
        for stage in self.lookups if stages is None else stages:
            if not batch.open():
                break
            stage.run(batch)
        return batch

    def take_rewritten(
        self, batch: Batch, rewritten: dict[str, str], method: str, stages: Sequence[Stage] | None = None
    ) -> None:
        """Decide each string of ``batch`` that ``rewritten`` rewrites (raw -> rewritten text) by the value its
        rewriting maps to through ``stages`` (the table stages by default), under ``method``; the others stay open."""
        if not rewritten:
            return
        found = self.lookup(set(rewritten.values()), batch.facet, stages)
        for raw, text in rewritten.items():
            outcome = found.done.get(text)
            if outcome is not None and outcome.mapped.value is not None:
                batch.done[raw] = self.accept(raw, batch.facet, outcome.mapped.value, method, outcome.mapped.score)

    def close(self, batch: Batch) -> None:
        """What no stage decided: a value of another facet, or no value close enough."""
        for raw in batch.open():
            if raw in batch.elsewhere:
                batch.done[raw] = batch.elsewhere[raw]
            else:
                batch.done[raw] = self.reject(raw, batch.facet, self.no_match(batch.facet), batch.best.get(raw, 0.0))

    def check_facet(self, facet: str | None) -> None:
        if facet is not None and facet not in self.taxonomy.facets:
            raise self.taxonomy.unknown_facet(facet)

    # -- helpers the stages share ---------------------------------------------------------------------------
    def accept(self, text: str, facet: str | None, value: Value, method: str, score: float = 1.0) -> Outcome:
        return Outcome(Mapped(text, facet if facet is not None else value.facet, value, method, score, None))

    def reject(self, text: str, facet: str | None, reason: str, score: float = 0.0) -> Outcome:
        return Outcome(Mapped(text, facet, None, None, score, reason))

    def decide(self, raw: str, facet: str | None, ids: list[str], method: str, key: str | None = None) -> Outcome:
        """One value: accepted (unless it is narrowed and its name one part of a plain value's "A & B" name: that one,
        ``repeats.plain_whole``); several: rejected as ambiguous, with the values it was torn between (unless they share
        one name and one of them is the most general: ``repeats.py``)."""
        if len(ids) == 1:
            whole = plain_whole(self.taxonomy, ids[0])
            if whole is None:
                return self.accept(raw, facet, self.values[ids[0]], method)
            outcome = self.accept(raw, facet, self.values[whole], method)  # "Jackets": Coats & Jackets
            outcome.candidates, outcome.method = (whole, ids[0]), method
            return outcome
        general = general_value(self.taxonomy, ids)
        if general is not None:  # "T-Shirts": Clothing Tops, not the baby, maternity or fan ones
            outcome = self.accept(raw, facet, self.values[general], method)
            outcome.candidates, outcome.method = tuple(ids), method
            return outcome
        outcome = self.reject(raw, facet, self.ambiguity(ids, facet, key if key is not None else raw))
        outcome.candidates, outcome.method = tuple(ids), method
        return outcome

    def elsewhere(self, raw: str, facet: str | None, ids: list[str], method: str) -> Outcome:
        """A string that names values of other facets only: rejected here, with the value for moving it."""
        other = self.values[ids[0]]
        if len(ids) == 1:
            reason = f"{other.name!r} ({other.id}) is a value of facet {other.facet!r}, not {facet!r}"
        else:
            facets = ", ".join(sorted({self.values[i].facet for i in ids})[:5])
            reason = f"{raw!r} names values of other facets ({facets}), not {facet!r}"
        mapped = Mapped(raw, facet, None, None, 0.0, reason)
        return Outcome(mapped, other if len(ids) == 1 else None, method=method, others=tuple(ids))

    def tie_break(self, text: str, ids: Sequence[str], margin: float = TIE_MARGIN) -> tuple[str, float] | None:
        """The value among ``ids`` whose name the embedder puts nearest ``text``, when it leads by ``margin``.

        For strings a rule reads as several values ("pram": WordNet's synonyms name Baby Strollers and Pushers):
        the rule proposes, meaning chooses, and neither alone decides.
        """
        names = [self.values[v].name for v in ids]
        vectors = self.embedder.encode([text, *names])
        sims = vectors[1:] @ vectors[0]
        order = sorted(range(len(ids)), key=lambda i: -float(sims[i]))
        best = float(sims[order[0]])
        if best < TIE_FLOOR or best - float(sims[order[1]]) < margin:
            return None
        return ids[order[0]], round(best, 4)

    def handle(self, text: str) -> str | None:
        """The id of a Shopify-style handle ("color__red"); the table is built from the taxonomy on first use."""
        if self._handles is None:
            self._handles = {v.handle: v.id for v in self.values.values() if v.handle}
        return self._handles.get(text)

    def no_match(self, facet: str | None) -> str:
        return f"no value of facet {facet!r} is close enough" if facet else "no value is close enough"

    def ambiguity(self, ids: Sequence[str], facet: str | None, text: str, how: str = "names") -> str:
        facets = sorted({self.values[i].facet for i in ids})
        shown = "; ".join(self._describe(i, facet is None and len(facets) > 1) for i in list(ids)[:3])
        more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
        hint = "give the facet" if facet is None and len(facets) > 1 else "give the full path or the id"
        return f"ambiguous: {text!r} {how} {len(ids)} values ({shown}{more}); {hint}"

    def _describe(self, vid: str, with_facet: bool) -> str:
        value = self.values[vid]
        where = value.path or value.name
        return f"{value.facet}: {where} [{vid}]" if with_facet else f"{where} [{vid}]"


def map_strings(taxonomy: Taxonomy, texts: Iterable[str], facet: str | None = None, **options: Any) -> list[Mapped]:
    """One-shot helper: build a ``Mapper`` (tables come from the cache) and map ``texts``."""
    return Mapper(taxonomy, **options).map(list(texts), facet)

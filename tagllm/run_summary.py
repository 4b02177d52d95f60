"""What a file run did, as its summary reports it: counts by outcome, the time spent, how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_ERRORS_KEPT = 20
MAX_ABSENT_NAMED = 5  # the summary names the first products of the output that the input no longer has


@dataclass
class RunSummary:
    """What a file run did: counts by outcome, the time spent tagging, and where the output went."""

    output: str
    tagged: int = 0
    failed: int = 0  # error records this run wrote
    skipped: int = 0  # products an earlier run had tagged
    edited: int = 0  # products an earlier run had tagged from another text (the record was edited since): tagged again
    retried: int = 0  # products an earlier run had failed, tagged again
    duplicates: int = 0  # records whose product id an earlier record of the input has: not tagged
    joined: int = 0  # rows of further photos (a Shopify export's image rows) added to the product just before them
    variants: int = 0  # a Shopify export's variant rows (a product's second and later variants) added to the product
    empty_rows: int = 0  # a table's rows whose cells are all empty (Excel's cleared rows): no products, not tagged
    with_ids: int = 0  # products of the input with an id of their own
    line_named: int = 0  # products of the input with no id (or a blank one): named by their line, ``line-N``
    first_line_named: str | None = None  # the first of them
    still_failed: int = 0  # error records in the output at the end, this run's and earlier ones
    stale: int = 0  # earlier error records of records the input no longer has (a line since fixed): removed
    stale_ids: list[str] = field(default_factory=list)  # the first MAX_ABSENT_NAMED of them, in output order
    absent: int = 0  # results in the output of products the input no longer has: kept, or removed (drop_absent)
    absent_ids: list[str] = field(default_factory=list)  # the first MAX_ABSENT_NAMED of them, in output order
    dropped_absent: bool = False  # the absent products' results were removed from the output
    routing: bool = False  # routing mode (route_threshold): the summary says how many went to the LLM, none too
    routed: int = 0  # routing mode: products tagged by the LLM
    fell_back: int = 0  # routing mode: products routed to the LLM that kept the default's tags (the LLM failed)
    retried_llm: int = 0  # products an earlier run routed to the LLM that kept the default's tags, tagged again
    still_fell_back: int = 0  # products of the input whose row in the output at the end kept the default's tags
    partial: int = 0  # products this run tagged in part: the category, but the attribute step failed (two_step)
    retried_partial: int = 0  # products an earlier run tagged so, tagged again
    still_partial: int = 0  # products of the input whose row in the output at the end is partial
    kept_partial: int = 0  # partial products tagged again that failed: their earlier row (the category) kept
    degraded: int = 0  # products this run tagged from their text alone because none of their photos could be read
    retried_degraded: int = 0  # products an earlier run tagged so (degraded; or unfetched, now fetched): tagged again
    unfetched: int = 0  # products this run tagged from their text alone: their photos, remote URLs, were not fetched
    still_unfetched: int = 0  # products of the input whose row at the end is so: --allow-remote-images would fetch them
    still_degraded: int = 0  # products of the input whose row in the output at the end is degraded
    kept_text_only: int = 0  # degraded products tagged again that failed: their earlier row (the text's tags) kept
    seconds: float = 0.0  # from the first product read to the output closed; start-up is not in it
    startup_seconds: float = 0.0  # loading models and label tables, reading what an earlier run wrote (the CLI adds
    # building the tagger: opening or building the example index, exporting the encoder)
    in_output: int = 0  # products with a row in the output once it was finished: this run's and earlier runs'
    interrupted: bool = False  # Ctrl-C, or SIGTERM (``terminated``), stopped it: the output holds what was tagged
    terminated: bool = False
    errors: list[str] = field(default_factory=list)  # the first MAX_ERRORS_KEPT messages, and as many of repeated ids
    unlisted: int = 0  # messages not kept in ``errors``: failed products' (their rows say why), and repeated ids'
    _repeats: int = field(default=0, init=False, repr=False)  # the messages of repeated ids in ``errors``
    # CSV output: each column this run wrote a cell of that a spreadsheet reads as a formula -> its first product
    formula_columns: dict[str, str] = field(default_factory=dict)

    @property
    def products_per_second(self) -> float:
        return (self.tagged + self.failed) / self.seconds if self.seconds else 0.0

    @property
    def exit_code(self) -> int:
        """0: every product has a result; 1: some are error records in the output, or were repeated ids."""
        return 1 if self.still_failed or self.duplicates else 0

    @property
    def blank_ids(self) -> int:
        """Products named by their line in an input whose other products have ids: a blank id cell, most likely a
        mistake. Their names move with the lines above them, and a resume after lines are added or removed there
        tags them again under their new names, keeping their old rows (an input with no ids at all is named by its
        lines by choice)."""
        return self.line_named if self.with_ids else 0

    def blank_ids_note(self, source: str) -> str:
        """What ``blank_ids`` means for ``source``, and what to do: said by ``tag_file`` (an ``InputWarning``) and
        by ``tagllm generate`` (on stderr)."""
        return (
            f"{source}: {self.blank_ids} product(s) have no id where the others have one (the first named "
            f"{self.first_line_named}, by its line): a name that moves when lines above it are added or removed, and "
            "a resume then tags the product again under its new name and keeps its old row; give every product an id"
        )

    @property
    def unlisted_repeats(self) -> int:
        """Records repeating an earlier record's product id whose message is not in ``errors``: named nowhere."""
        return self.duplicates - self._repeats

    def note(self, message: str, *, repeat: bool = False) -> None:
        """Keep ``message`` for the summary, or count it as unlisted. A ``repeat`` (a record whose product id an
        earlier one has) is in no output, so the summary alone names it: its messages have a room of their own, not
        taken by the failures listed before them."""
        kept = self._repeats if repeat else len(self.errors) - self._repeats
        if kept >= MAX_ERRORS_KEPT:
            self.unlisted += 1
            return
        self.errors.append(message)
        self._repeats += repeat


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during a file run: what was tagged is in the output (``summary``), and ``--resume`` goes
    on."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__()
        self.summary = summary

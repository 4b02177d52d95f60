"""Fit the stacker for a category with no examples: the weights behind ``tagllm.candidates.zero``.

Run: python benchmarks/zero_calibration.py --data ../shared/data            (fit and print; nothing written)
     python benchmarks/zero_calibration.py --data ../shared/data --write    (write tagllm/candidates/zero_stacker.json)
     python benchmarks/zero_calibration.py --data ../shared/data
         --cases benchmarks/zero_cases_category{3,5,6,7,8,9}.yaml
         (the shipped fit: hand-labelled Shopify titles of six dev sets as a fourth dataset; sets 1, 2, 4 and 10-12
         are left out of it to measure on, and the held-out sets are never read)

For each of Flipkart (its 1,350-node tree), OpenBG (167 nodes, Chinese) and the Myntra fashion catalogue (224 nodes),
the training part of the split that ``benchmarks/attributes.py`` holds out from (by a hash of the title: Flipkart and
OpenBG 25% held out as in its ``zero-category`` section, fashion 20% as in its ``shopify`` section) is sampled to
``--per-dataset`` products (one English title in three also once more with a complement or a brand naming another
category: ``with_complements``); each product's title alone is scored against its dataset's tree with no example index
(``CandidateScorer`` with ``index=None``: label and path similarity, mentions, the title's head), and every candidate
is a row labelled 1 when it is the product's gold category. One logistic regression (``Stacker.fit``) is fitted on the
rows of the three datasets together, each dataset's rows weighted alike by sampling the same number of products from
each. With ``--cases``, the hand-labelled titles of Shopify case files (those with ``category_id``; every id a case
accepts is a gold) are a fourth dataset against Shopify's tree, sampled alike: the catalogues' titles ("Nike Men Black
Tshirt") against their shallow trees taught the stacker to trust the spelling of a path ``label_path_lex``, which on
Shopify's deep tree puts "Serger Sewing Machines" over the "Sewing Machines" a title names. Such a fit leans on the
English embedder's label similarity, which Chinese titles do not bear (OpenBG's top-1 fell from 0.689 to 0.582), so
with ``--cases`` the shipped file's stacker is kept as the one for Chinese titles (the file's ``chinese`` entry,
``tagllm.candidates.zero``). No held-out product is read. The fitted probabilities are then checked on the held-out
products by the benchmark (reliability per confidence band).

The best candidate's confidence as an answer (``tagllm.candidates.zero.AnswerCalibration``, the file's ``answer``)
is fitted next, on the answers to the same training titles as sellers wrote them (the complements written in are left
out: they teach the stacker a name outside the head, and their share of wrong answers is not a catalogue's): a
logistic calibration of the best's share of the probability of it and its rivals (every candidate of its title but
its ancestors: ``tagllm.candidates.zero.best_and_rivals``; a best with no rival at all has its own probability as its
share, ``zero.answer_share``) and of the best candidate's ``head`` evidence (how fully the title's head noun names
it: ``ANSWER_EVIDENCE``), then the least weight on the stacker's own probability (in
steps of 0.05) under which no dataset's Brier score of its answers is worse than with the stacker's probability alone,
the mean over the datasets lowest among those. Where Chinese titles have a stacker of their own (``--cases``, or a
shipped file with a ``chinese`` entry), each stacker's calibration is fitted on its own titles: the Latin one on the
datasets of Latin-script titles, the Chinese one on OpenBG's. ``--answer-only`` fits them over the shipped stackers
and rewrites the ``answer`` entries alone.

Fitted on titles that all belong to their tree, the answer's confidence never saw a product whose kind the tree
lacks, and gave one a confident wrong category. So one Latin-script training title in ``NOTHING_FITS_EVERY`` is also
answered with its gold's branch (the gold and all below it) taken out of its candidates
(``benchmarks/zero_nothing_fits.py``): its best remaining candidate is wrong by construction, and the title's head
noun names it less fully than it names a right answer. The head's fitted weight is then shrunk (in steps of
``EVIDENCE_STEP``) until no dataset's titles as written score worse than with the share alone: as fitted, it took
Flipkart's held-out Brier from 0.1565 to 0.1700. Measured with ``benchmarks/zero_nothing_fits.py`` (docs/eval.md,
session s49). The shipped answer entries: ``python benchmarks/zero_calibration.py --data ../shared/data --answer-only
--cases benchmarks/zero_cases_category{3,5,6,7,8,9}.yaml --write``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scipy.optimize import minimize  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from benchmarks.attribute_data import read_jsonl, sample, split  # noqa: E402
from benchmarks.zero_nothing_fits import Scored, on_branches  # noqa: E402
from tagllm.candidates import CandidateScorer, Stacker, expand  # noqa: E402
from tagllm.candidates.base import FacetTables  # noqa: E402
from tagllm.candidates.features import COLUMN  # noqa: E402
from tagllm.candidates.folded import predict_grouped  # noqa: E402
from tagllm.candidates.zero import (  # noqa: E402
    CHINESE,
    ZERO_STACKER_PATH,
    AnswerCalibration,
    answer_share,
    best_and_rivals,
    best_evidence,
    zero_example_stacker,
)
from tagllm.retrieval.embedder import Embedder  # noqa: E402
from tagllm.retrieval.index import LabelResolver  # noqa: E402
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy  # noqa: E402
from tagllm.text import has_cjk  # noqa: E402

DATASETS = (("flipkart", 0.25), ("openbg-zh", 0.25), ("fashion", 0.2))
COMPLEMENT_EVERY = 3  # one title in three is written again with a complement
# a complement after the head phrase, or a brand before it that is another category's name ("Arrow Men Red Shirt")
COMPLEMENTS = (
    "{title}, for {name}",
    "{title} with {name}",
    "{title}, compatible with {name}",
    "{title} - {name} safe",
    "{name} {title}",
    "{name} {title}",
)


WEIGHT_STEP = 0.05  # the stacker's weight in the answer's confidence is chosen in these steps
NOTHING_FITS_EVERY = 16  # one training title in 16 is also answered with its gold's branch out of the tree
ANSWER_EVIDENCE = ("head",)  # the best candidate's evidence the answer's confidence weighs
# the evidence's fitted weights are shrunk in these steps until no dataset's titles as written score worse than with
# the share alone
EVIDENCE_STEP = 0.1


@dataclass
class Rows:
    """One dataset's candidates: evidence (candidates x FEATURES, title i's rows ``starts[i]:starts[i+1]``), their
    label-space positions and the tree's lookups (whose ancestors a best candidate has), 0/1 labels, and how many
    titles come first as sellers wrote them (the rest have a complement written in)."""

    name: str
    matrix: np.ndarray
    starts: np.ndarray
    values: np.ndarray
    tables: FacetTables
    y: np.ndarray
    written: int
    chinese: bool  # its titles are Chinese

    @property
    def x(self) -> np.ndarray:
        """The stacker's rows (ALL_FEATURES)."""
        return expand(self.matrix, self.starts)


def rows_of(data: Path, name: str, share: float, n: int, seed: int, embedder: Embedder) -> Rows:
    """Candidate rows and their 0/1 labels for ``n`` training products of one dataset."""
    products = [r for r in read_jsonl(data / name / "products.jsonl") if r.get("gold_category")]
    train, _ = split(products, share, seed)
    train = sample(train, n, seed)
    taxonomy = load_taxonomy(data / name / "categories.jsonl")
    resolver = LabelResolver(taxonomy)
    gold = [{resolver.resolve(CATEGORY, r["gold_category"])} for r in train]
    return scored_rows(name, [r["title"] for r in train], gold, taxonomy, seed, embedder)


def case_rows(paths: list[Path], n: int, seed: int, embedder: Embedder) -> Rows:
    """Candidate rows and their 0/1 labels for ``n`` of the hand-labelled titles of Shopify case files
    (``benchmarks/zero_cases_category*.yaml`` that list ``category_id``: every id a case accepts is a gold)."""
    cases = [c for path in paths for c in yaml.safe_load(path.read_text()) if c.get("category_id")]
    cases = sample(cases, n, seed)
    gold = [set(c["category_id"]) for c in cases]
    return scored_rows("shopify", [c["title"] for c in cases], gold, load_taxonomy("shopify"), seed, embedder)


def scored_rows(
    name: str, titles: list[str], gold: list[set[str | None]], taxonomy: Taxonomy, seed: int, embedder: Embedder
) -> Rows:
    """Each title scored against ``taxonomy`` with no examples; a candidate is labelled 1 when it is one of the
    title's gold ids."""
    scorer = CandidateScorer(taxonomy, None, embedder, [CATEGORY])
    written = len(titles)
    if not any(has_cjk(t) for t in titles):
        titles, gold = with_complements(titles, gold, taxonomy, seed)
    batch = scorer.prepare(titles, embedder.encode(titles))
    features = scorer.features(batch, CATEGORY)
    position = {vid: i for i, vid in enumerate(features.ids)}
    gold_keys = np.array(
        [i * features.n_values + position[g] for i, ids in enumerate(gold) for g in ids if g in position]
    )
    keys = features.rows * features.n_values + features.values
    y = np.isin(keys, gold_keys).astype(np.int8)
    found = len(np.unique(features.rows[y == 1]))
    print(f"{name}: {written} training products, {len(y)} candidates, gold among them for {found}", file=sys.stderr)
    tables = scorer.tables(CATEGORY)
    chinese = any(has_cjk(t) for t in titles)
    return Rows(name, features.matrix, features.starts, features.values, tables, y, written, chinese)


def answers(stacker: Stacker, rows: Rows, nothing_fits: bool = False) -> tuple[np.ndarray, ...]:
    """Per title as written: its best candidate's probability, the summed probability of it and its rivals (as the
    tagger reads them: ``zero.best_and_rivals``), whether the best is the gold (0/1), and the best's evidence
    (titles x FEATURES). ``nothing_fits``: every title with its gold's branch taken out of its candidates
    (``zero_nothing_fits.without_gold``), so its best is wrong."""
    n = rows.written
    end = rows.starts[n]
    product = np.repeat(np.arange(n), np.diff(rows.starts[: n + 1]))
    size = len(rows.tables.parent)
    scored = Scored(rows.matrix[:end], rows.starts[: n + 1], product, rows.values[:end], size)
    gold = product[rows.y[:end] == 1] * size + rows.values[:end][rows.y[:end] == 1]
    y = rows.y[:end]
    if nothing_fits:
        keep = ~on_branches(scored, gold, rows.tables)
        scored, y = scored.keep(keep), y[keep]
    probs = predict_grouped(stacker, scored.matrix, scored.starts)
    best, total = best_and_rivals(probs, scored.rows, scored.values, rows.tables, n)
    right = np.zeros(n)
    for i in range(n):
        start, stop = scored.starts[i], scored.starts[i + 1]
        if stop > start:
            right[i] = y[start + int(np.argmax(probs[start:stop]))]
    return best, total, right, best_evidence(probs, scored.rows, scored.matrix, n)


def answer_inputs(best: np.ndarray, total: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """The answer calibration's inputs: the logit of the best's share (``zero.answer_share``) and its evidence
    ``ANSWER_EVIDENCE``."""
    share = answer_share(best, total)
    return np.column_stack([np.log(share / (1 - share)), evidence[:, [COLUMN[f] for f in ANSWER_EVIDENCE]]])


def seen_answers(stacker: Stacker, rows: Rows) -> tuple[np.ndarray, ...]:
    """A dataset's training answers: every title as written, then one in ``NOTHING_FITS_EVERY`` again with its gold
    taken out of the tree (an answer that is wrong by construction, as for a product whose kind the tree lacks).
    Not for Chinese titles: the head noun's evidence is 0 in each, so nothing tells such an answer apart and these
    rows would only lower every Chinese answer's confidence."""
    whole = answers(stacker, rows)
    if not NOTHING_FITS_EVERY or rows.chinese:
        return whole
    missing = answers(stacker, rows, nothing_fits=True)
    chosen = np.arange(0, rows.written, NOTHING_FITS_EVERY)
    return tuple(np.concatenate([a, b[chosen]]) for a, b in zip(whole, missing, strict=True))


def fit_answer(stacker: Stacker, parts: list[Rows]) -> AnswerCalibration:
    """The answer's calibration (see the module's docstring), printing each dataset's Brier score before and
    after."""
    seen = [seen_answers(stacker, rows) for rows in parts]
    best, total, right, evidence = (np.concatenate(column) for column in zip(*seen, strict=True))
    inputs = answer_inputs(best, total, evidence)
    free = LogisticRegression(C=1e4, max_iter=1000).fit(inputs, right).coef_[0][1:]

    def shrunk(scale: float) -> AnswerCalibration:
        """The evidence's weights as fitted, times ``scale``, and the share's slope and intercept fitted beside
        them."""
        offset = inputs[:, 1:] @ (scale * free)

        def loss(p: np.ndarray) -> float:
            z = p[0] * inputs[:, 0] + p[1] + offset
            return float(np.sum(np.logaddexp(0, z) - right * z))

        slope, intercept = minimize(loss, np.array([1.0, 0.0])).x
        extra = tuple((f, float(w)) for f, w in zip(ANSWER_EVIDENCE, scale * free, strict=True))
        return AnswerCalibration(float(slope), float(intercept), 0.0, extra)

    def as_written(calibration: AnswerCalibration) -> list[float]:
        """Each dataset's Brier score over its titles as written (none taken out of the tree)."""
        return [
            float(np.mean((calibration(b[:n], t[:n], e[:n]) - r[:n]) ** 2))
            for (b, t, r, e), n in zip(seen, (rows.written for rows in parts), strict=True)
        ]

    plain = as_written(shrunk(0.0))
    scales = np.round(np.arange(1.0, -EVIDENCE_STEP / 2, -EVIDENCE_STEP), 2).tolist()
    fitted = next(c for c in map(shrunk, scales) if all(a <= b for a, b in zip(as_written(c), plain, strict=True)))
    slope, intercept, extra = fitted.slope, fitted.intercept, fitted.evidence

    def briers(weight: float) -> list[float]:
        calibration = AnswerCalibration(slope, intercept, weight, extra)
        return [float(np.mean((calibration(b, t, e) - r) ** 2)) for b, t, r, e in seen]

    own = briers(1.0)
    steps = np.round(np.arange(0.0, 1.0 + WEIGHT_STEP / 2, WEIGHT_STEP), 2).tolist()
    scored = [(briers(w), w) for w in steps]  # weight 1 is allowed: every score equals its own
    weight = min((float(np.mean(s)), w) for s, w in scored if all(a <= b for a, b in zip(s, own, strict=True)))[1]
    after = briers(weight)
    print(
        f"answer: share slope {slope:+.3f}, intercept {intercept:+.3f}, "
        + "".join(f"{f} {w:+.3f} (of {v:+.3f} fitted free), " for (f, w), v in zip(extra, free, strict=True))
        + f"stacker weight {weight:.2f}; Brier "
        + ", ".join(f"{rows.name} {b:.4f} -> {a:.4f}" for rows, b, a in zip(parts, own, after, strict=True))
        + "; as written, share alone -> with the evidence: "
        + ", ".join(
            f"{rows.name} {b:.4f} -> {a:.4f}" for rows, b, a in zip(parts, plain, as_written(fitted), strict=True)
        )
    )
    return AnswerCalibration(slope, intercept, weight, extra)


def with_complements(
    titles: list[str], gold: list[set[str | None]], taxonomy: Taxonomy, seed: int
) -> tuple[list[str], list[set[str | None]]]:
    """The titles, and one in ``COMPLEMENT_EVERY`` again with a complement that names another category of the
    tree ("…, for Dishwashers", "… with Transparencies") or with that name where a brand goes ("Arrows Men Red
    Shirt"), the gold unchanged: real titles name what a product is for or goes with, and brands are often common
    words, but rarely another category of their own tree, so without these rows the fit never sees a category named
    outside the head that is not the product's."""
    rng = np.random.default_rng(seed)
    leaves = [v for v in taxonomy.facet_values(CATEGORY) if not taxonomy.children(v.id)]
    extra = []
    for title, g in zip(titles[::COMPLEMENT_EVERY], gold[::COMPLEMENT_EVERY], strict=True):
        other = leaves[int(rng.integers(len(leaves)))]
        while other.id in g:
            other = leaves[int(rng.integers(len(leaves)))]
        extra.append(COMPLEMENTS[int(rng.integers(len(COMPLEMENTS)))].format(title=title, name=other.name))
    return titles + extra, gold + gold[::COMPLEMENT_EVERY]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--per-dataset", type=int, default=350, help="training products per dataset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help=f"write {ZERO_STACKER_PATH.relative_to(REPO)}")
    parser.add_argument(
        "--answer-only", action="store_true", help="fit the answer's calibration over the shipped stacker only"
    )
    parser.add_argument(
        "--cases",
        type=Path,
        nargs="*",
        default=[],
        help="Shopify case files (zero_cases_category*.yaml with category_id) fitted on as one more dataset",
    )
    args = parser.parse_args(argv)
    embedder = Embedder()
    parts = [rows_of(args.data, name, share, args.per_dataset, args.seed, embedder) for name, share in DATASETS]
    if args.cases:
        parts.append(case_rows(args.cases, args.per_dataset, args.seed, embedder))
    if args.answer_only:
        shipped = zero_example_stacker()
        assert shipped is not None, "the shipped stacker is stale: refit it whole"
        data = json.loads(ZERO_STACKER_PATH.read_text())
        answer = fit_answer(shipped, latin_parts(parts) if CHINESE in data else parts)
        fitted = {**data, "answer": answer.to_json()}
        if CHINESE in data:
            fitted[CHINESE] = chinese_entry(parts)
        if args.write:
            ZERO_STACKER_PATH.write_text(json.dumps(fitted, indent=1) + "\n")
            print(f"wrote the answer's calibration into {ZERO_STACKER_PATH}")
        return
    x = np.vstack([p.x for p in parts]).astype(np.float32)
    y = np.concatenate([p.y for p in parts])
    stacker = Stacker.fit(x, y, fitted_on=sum(p.written for p in parts), k=0, inputs=("text",))
    assert stacker is not None
    answer = fit_answer(stacker, latin_parts(parts) if args.cases else parts)
    from tagllm.candidates.features import ALL_FEATURES

    weights = sorted(zip(ALL_FEATURES, stacker.coef / stacker.scale, strict=True), key=lambda t: -abs(t[1]))
    print("largest weights per unit: " + ", ".join(f"{f} {w:+.2f}" for f, w in weights[:12] if w))
    if args.write:
        fitted = {**stacker.to_json(), "answer": answer.to_json()}
        if args.cases:  # Chinese titles keep the stacker fitted without the (English) Shopify titles
            fitted[CHINESE] = chinese_entry(parts)
        ZERO_STACKER_PATH.write_text(json.dumps(fitted, indent=1) + "\n")
        print(f"wrote {ZERO_STACKER_PATH}")


def latin_parts(parts: list[Rows]) -> list[Rows]:
    """The datasets of Latin-script titles: where Chinese titles have a stacker of their own, so does their answer's
    confidence, and the Latin one is fitted without them."""
    return [rows for rows in parts if not rows.chinese]


def chinese_entry(parts: list[Rows]) -> dict[str, Any]:
    """The shipped file's stacker for Chinese titles (its ``chinese`` entry, or the whole file where it has none: a
    stacker fitted on the three catalogues alone), with its answer calibration fitted again on the datasets of
    Chinese titles."""
    shipped = json.loads(ZERO_STACKER_PATH.read_text())
    entry = shipped.get(CHINESE) or {k: v for k, v in shipped.items() if k != CHINESE}
    stacker = Stacker.from_json(entry)
    assert stacker is not None, "the shipped stacker for Chinese titles is stale: refit it whole"
    return {**entry, "answer": fit_answer(stacker, [rows for rows in parts if rows.chinese]).to_json()}


if __name__ == "__main__":
    main()

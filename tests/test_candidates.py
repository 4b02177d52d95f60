"""Candidate scoring: batch array code agrees with the plain per-product definitions it replaces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from tagllm.candidates import ALL_FEATURES, FEATURES, RELATIVE, CandidateScorer, expand
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.index import ExampleIndex, read_examples
from tagllm.retrieval.lexical import FeatureMatrix

DATA = Path(__file__).parent / "data"


def test_feature_matrix_dot_is_the_exact_sparse_product() -> None:
    rng = np.random.default_rng(0)
    common = sp.csr_matrix(rng.random((300, 40), dtype=np.float32))  # features every row has, as single letters are
    matrix = sp.hstack([common, sp.random(300, 4960, density=0.01, random_state=1, dtype=np.float32)], format="csr")
    queries = sp.random(50, 5000, density=0.02, random_state=2, format="csr", dtype=np.float32)
    prepared = FeatureMatrix(matrix.tocsr(), dense_features=64)
    assert len(prepared.dense_ids) == 64
    assert np.allclose(prepared.dot(queries), (queries @ matrix.T).toarray(), atol=1e-5)
    # a row that lists a feature twice (CSR that is not canonical) counts both entries
    twice = sp.csr_matrix(
        (np.array([1.0, 2.0, 0.5], np.float32), np.array([7, 7, 100]), np.array([0, 3])), shape=(1, 5000)
    )
    expected = 3.0 * matrix[:, 7].toarray().ravel() + 0.5 * matrix[:, 100].toarray().ravel()
    assert np.allclose(prepared.dot(twice)[0], expected, atol=1e-5)


def test_feature_matrix_keeps_only_its_own_features() -> None:
    """A matrix of few features (a facet's labels) answers queries whose other features it never saw, and holds
    no table over the whole feature space."""
    matrix = sp.random(6, 2**20, density=2e-5, random_state=3, format="csr", dtype=np.float32)
    queries = sp.random(20, 2**20, density=1e-4, random_state=4, format="csr", dtype=np.float32)
    queries = sp.vstack([queries, matrix[:3]], format="csr")  # some rows share features with the matrix
    prepared = FeatureMatrix(matrix, dense_features=4)
    assert np.allclose(prepared.dot(queries), (queries @ matrix.T).toarray(), atol=1e-5)
    assert len(prepared.slot) == len(np.unique(matrix.indices))
    empty = FeatureMatrix(sp.csr_matrix((3, 2**20), dtype=np.float32))
    assert not empty.dot(queries).any() and empty.dot(queries).shape == (23, 3)


def _expand_one(matrix: np.ndarray) -> np.ndarray:
    """The definition, for one product: value minus the best, and rank r = exactly r candidates score higher."""
    rank = (matrix[None, :, :] > matrix[:, None, :]).sum(axis=1)
    base = matrix[:, [FEATURES.index(f) for f in RELATIVE]]
    return np.hstack([matrix, base - base.max(axis=0), (rank == 0).astype(float), (rank == 1).astype(float)])


def test_expand_per_product_matches_the_definition_with_ties_and_empty_products() -> None:
    rng = np.random.default_rng(3)
    sizes = [4, 0, 1, 7, 0, 3]
    # few distinct values so that ties (shared best, shared second) occur
    products = [rng.integers(0, 3, size=(n, len(FEATURES))).astype(float) for n in sizes]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    got = expand(np.vstack(products), starts)
    assert got.shape == (sum(sizes), len(ALL_FEATURES))
    want = np.vstack([_expand_one(m) for m in products if len(m)])
    assert np.array_equal(got, want)


@pytest.fixture(scope="module")
def demo_examples(demo_taxonomy):  # type: ignore[no-untyped-def]
    examples, errors = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    assert errors == []
    return examples


def test_leave_one_out_evidence_equals_an_index_without_the_example(demo_taxonomy, demo_examples) -> None:  # type: ignore[no-untyped-def]
    """Fitting scores each example as if the index had never seen it: its votes and centroids leave it out.

    PyTorch encodes here: int8 ONNX quantises activations with one scale per batch, so a text's vector moves by
    ~1e-3 with the batch it is encoded in, and the two indexes below encode different batches."""
    embedder = Embedder(backend="torch")
    full = ExampleIndex.build(demo_examples, demo_taxonomy, embedder)
    scorer = CandidateScorer(demo_taxonomy, full, embedder, ["category"], k=5)
    held_out = 7
    rest = ExampleIndex.build([e for i, e in enumerate(demo_examples) if i != held_out], demo_taxonomy, embedder)
    reference = CandidateScorer(demo_taxonomy, rest, embedder, ["category"], k=5)
    text = demo_examples[held_out].text()
    vector = full.vectors[[held_out]]

    loo = scorer.features(scorer.prepare([text], vector, exclude=[held_out]), "category")
    plain = reference.features(reference.prepare([text], vector), "category")

    columns = [FEATURES.index(f) for f in ("emb_vote", "emb_top1", "emb_subtree", "emb_centroid")]
    by_value = {loo.ids[v]: row for v, row in zip(loo.values, loo.matrix, strict=True)}
    compared = 0
    for value, row in zip(plain.values, plain.matrix, strict=True):
        if row[columns].any():
            assert np.allclose(by_value[plain.ids[value]][columns], row[columns], atol=1e-5), plain.ids[value]
            compared += 1
    assert compared >= 2
    gold = demo_examples[held_out].labels["category"][0]
    assert gold in {loo.ids[v] for v in loo.values}


def test_fitting_evidence_leaves_an_example_and_its_copies_out(demo_taxonomy, demo_examples) -> None:  # type: ignore[no-untyped-def]
    """A listing's variant under the same title (another colour) is left out with it: the evidence equals an index
    that holds neither, as for a new listing."""
    embedder = Embedder(backend="torch")
    held_out = 7
    variant = demo_examples[held_out].model_copy(update={"id": "variant", "labels": {"category": ["apparel-dresses"]}})
    examples = [*demo_examples, variant]
    copies = [held_out, len(demo_examples)]
    full = ExampleIndex.build(examples, demo_taxonomy, embedder)
    scorer = CandidateScorer(demo_taxonomy, full, embedder, ["category"], k=5)
    rest = ExampleIndex.build([e for i, e in enumerate(demo_examples) if i != held_out], demo_taxonomy, embedder)
    reference = CandidateScorer(demo_taxonomy, rest, embedder, ["category"], k=5)
    text = demo_examples[held_out].text()
    vector = full.vectors[[held_out]]

    left_out = scorer.features(scorer.prepare([text], vector, exclude=[held_out], copies=[copies]), "category")
    plain = reference.features(reference.prepare([text], vector), "category")

    columns = [FEATURES.index(f) for f in ("emb_vote", "emb_top1", "emb_subtree", "emb_centroid")]
    by_value = {left_out.ids[v]: row for v, row in zip(left_out.values, left_out.matrix, strict=True)}
    for value, row in zip(plain.values, plain.matrix, strict=True):
        got = by_value.get(plain.ids[value], np.zeros_like(row))
        assert np.allclose(got[columns], row[columns], atol=1e-5), plain.ids[value]
    assert "apparel-dresses" in {left_out.ids[v] for v in left_out.values}


def test_label_space_reads_its_lexical_counts_from_the_cache_unchanged(demo_taxonomy, embedder) -> None:  # type: ignore[no-untyped-def]
    from tagllm.cache import cache_dir
    from tagllm.retrieval.labels import LabelSpace
    from tagllm.retrieval.lexical import LexicalModel

    lexical = LexicalModel()
    lexical.fit(["red cotton t-shirt", "白色运动鞋", "ceramic tea set"])
    for path in cache_dir().glob("label-counts-*.npz"):
        path.unlink()
    fresh = LabelSpace(demo_taxonomy, "category", embedder, lexical)
    assert len(list(cache_dir().glob("label-counts-*.npz"))) == 1
    cached = LabelSpace(demo_taxonomy, "category", embedder, lexical)
    query = lexical.transform(["women's white canvas sneakers", "陶瓷茶具"])
    assert np.array_equal(fresh.lex.dot(query), cached.lex.dot(query))
    assert np.array_equal(fresh.path_lex.dot(query), cached.path_lex.dot(query))
    assert fresh.path_lex.dot(query).max() > 0


def test_a_stacker_fitted_for_another_k_is_refitted_on_load(tmp_path, demo_taxonomy, demo_examples, embedder) -> None:  # type: ignore[no-untyped-def]
    index = ExampleIndex.build(demo_examples, demo_taxonomy, embedder)
    built = CandidateScorer(demo_taxonomy, index, embedder, ["category"], k=5)
    built.fit()
    built.save(tmp_path)
    assert built.stackers["category"].k == 5

    same = CandidateScorer(demo_taxonomy, index, embedder, ["category"], k=5)
    same.load_stackers(tmp_path)
    assert np.array_equal(same.stackers["category"].coef, built.stackers["category"].coef)

    other = CandidateScorer(demo_taxonomy, index, embedder, ["category"], k=12)
    other.load_stackers(tmp_path)
    fresh = CandidateScorer(demo_taxonomy, index, embedder, ["category"], k=12)
    fresh.fit()
    assert other.stackers["category"].k == 12
    assert np.allclose(other.stackers["category"].coef, fresh.stackers["category"].coef)
    assert not np.allclose(other.stackers["category"].coef, built.stackers["category"].coef)


def test_fit_reports_its_batches_then_its_facets_one_step_at_a_time(demo_taxonomy, demo_examples, embedder) -> None:  # type: ignore[no-untyped-def]
    index = ExampleIndex.build(demo_examples, demo_taxonomy, embedder)
    scorer = CandidateScorer(demo_taxonomy, index, embedder, ["category", "color"])
    reports: list[tuple[int, int]] = []
    scorer.fit(batch_size=8, progress=lambda done, total: reports.append((done, total)))
    total = reports[0][1]
    assert 2 <= total - 2 <= 4  # 9 to 30 sampled examples in batches of 8, then the two facets
    assert reports == [(done, total) for done in range(total + 1)]
    assert "category" in scorer.stackers


def test_ridge_leave_one_out_equals_a_fit_without_the_example() -> None:
    """The hat-matrix shortcut gives exactly what refitting without the example gives, multi-label rows included."""
    from tagllm.candidates.ridge import Ridge as _Ridge

    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((60, 8)).astype(np.float32)
    labels = [[i % 5] + ([3] if i % 7 == 0 else []) for i in range(60)]
    rows = [i for i, ls in enumerate(labels) for _ in ls]
    y = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, [c for ls in labels for c in ls])), shape=(60, 5))
    ridge = _Ridge.fit(vectors, y)
    assert ridge.penalty > 0
    held_out = [0, 13, 42]
    loo = ridge.predict(vectors[held_out], [[i] for i in held_out])
    for row, i in enumerate(held_out):
        keep = np.arange(60) != i
        refit = _Ridge.fit(vectors[keep], y[keep], penalty=ridge.penalty)
        assert np.allclose(loo[row], refit.predict(vectors[[i]])[0], atol=1e-4)
        assert not np.allclose(loo[row], ridge.predict(vectors[[i]])[0], atol=1e-3)


def test_ridge_leaving_out_copies_equals_a_fit_without_them() -> None:
    """An example and its copies (the same vector, other labels: a listing's variants) left out together give what
    refitting without all of them gives."""
    from tagllm.candidates.ridge import Ridge as _Ridge

    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((60, 8)).astype(np.float32)
    vectors[[11, 23, 37]] = vectors[5]  # 5, 11, 23 and 37 are copies
    labels = [i % 5 for i in range(60)]
    y = sp.csr_matrix((np.ones(60, np.float32), (np.arange(60), labels)), shape=(60, 5))
    ridge = _Ridge.fit(vectors, y)
    copies = [5, 11, 23, 37]
    left_out = ridge.predict(vectors[[5]], [copies])[0]
    keep = ~np.isin(np.arange(60), copies)
    refit = _Ridge.fit(vectors[keep], y[keep], penalty=ridge.penalty)
    assert np.allclose(left_out, refit.predict(vectors[[5]])[0], atol=1e-4)
    assert not np.allclose(left_out, ridge.predict(vectors[[5]], [[5]])[0], atol=1e-3)


def test_a_stacker_over_other_features_is_refitted_on_load(tmp_path, demo_taxonomy, demo_examples, embedder) -> None:  # type: ignore[no-untyped-def]
    """An index built by a tagllm with other evidence features gets weights for this version's features."""
    import json

    index = ExampleIndex.build(demo_examples, demo_taxonomy, embedder)
    built = CandidateScorer(demo_taxonomy, index, embedder, ["category"], k=5)
    built.fit()
    built.save(tmp_path)
    saved = json.loads((tmp_path / "scorer.json").read_text())
    saved["category"]["features"] = saved["category"]["features"][:-1]
    saved["category"]["coef"] = [0.0] * (len(ALL_FEATURES) - 1)
    (tmp_path / "scorer.json").write_text(json.dumps(saved))

    loaded = CandidateScorer(demo_taxonomy, index, embedder, ["category"], k=5)
    loaded.load_stackers(tmp_path)
    assert np.allclose(loaded.stackers["category"].coef, built.stackers["category"].coef)


def test_a_stacker_reads_evidence_outside_its_fitted_range_as_the_nearest_bound() -> None:
    from tagllm.candidates.stacker import Stacker

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, len(ALL_FEATURES))).astype(np.float32)
    x[:, 1] = 0.5 + rng.normal(scale=1e-3, size=200)  # a feature that barely varies in the fitted rows
    y = (x[:, 0] + rng.normal(scale=0.5, size=200) > 0).astype(np.int64)
    low, high = float(x[:, 1].min()), float(x[:, 1].max())
    stacker = Stacker.fit(x.copy(), y, fitted_on=200, k=10)
    assert stacker is not None
    row = np.zeros((1, len(ALL_FEATURES)))
    far, edge = row.copy(), row.copy()
    far[0, 1], edge[0, 1] = 0.9, high
    assert stacker.predict(far) == stacker.predict(edge)  # not 0 or 1 from 400 standard deviations out
    far[0, 1], edge[0, 1] = -3.0, low
    assert stacker.predict(far) == stacker.predict(edge)
    again = Stacker.from_json(stacker.to_json())
    assert again is not None and again.predict(far) == stacker.predict(far)


def test_an_index_built_through_the_python_api_tags_with_fitted_stackers(  # type: ignore[no-untyped-def]
    tmp_path, demo_taxonomy, demo_examples, embedder
) -> None:
    """``ExampleIndex.build(...)`` (exported by tagllm) saves no scorer.json: a tagger over it, in memory or saved and
    loaded, scored candidates with the default stackers, silently: on Flipkart 0.820 leaf accuracy against the CLI
    index's 0.887, its confidences off. It now fits them, as for stackers fitted for another k."""
    from tagllm.assembly import build_index
    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger

    config = TaggerConfig(backend="retrieval")
    cli = Tagger(
        demo_taxonomy, index=build_index(DATA / "demo_examples.jsonl", demo_taxonomy, embedder, tmp_path / "cli"),
        embedder=embedder, config=config,
    )  # fmt: skip
    assert "category" in cli.scorer.stackers
    index = ExampleIndex.build(demo_examples, demo_taxonomy, embedder)
    in_memory = Tagger(demo_taxonomy, index=index, embedder=embedder, config=config)
    index.save(tmp_path / "api")
    saved = ExampleIndex.load(tmp_path / "api", taxonomy=demo_taxonomy, embedder=embedder)
    loaded = Tagger(demo_taxonomy, index=saved, embedder=embedder, config=config)
    for tagger in (in_memory, loaded):
        assert set(tagger.scorer.stackers) == set(cli.scorer.stackers)
        for facet, stacker in cli.scorer.stackers.items():
            assert np.allclose(tagger.scorer.stackers[facet].coef, stacker.coef)

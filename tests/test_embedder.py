"""The embedder's encoders: PyTorch, ONNX Runtime fp32 and int8 give the same model's vectors; an index answers only
queries encoded the way it was built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tagllm.config import load_config
from tagllm.errors import ConfigError, IndexMismatchError, MissingDependencyError
from tagllm.retrieval import onnx, openvino
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.index import ExampleIndex

pytestmark = pytest.mark.skipif(not onnx.is_available(), reason="needs onnxruntime and onnx")

TEXTS = [
    "Men's Slim Fit Cotton Shirt",
    "女士连衣裙 夏季 新款",
    "wireless over-ear headphones with noise cancelling, 30 hours of battery " * 12,  # truncated at 128 tokens
    "Men's Slim Fit Cotton Shirt",  # a repeat
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return Embedder(backend="torch").encode(TEXTS)


def test_the_default_on_a_cpu_is_onnx_fp32_and_says_so(embedder: Embedder) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("on a GPU the default is PyTorch")
    assert (embedder.backend, embedder.name) == ("onnx-fp32", "all-MiniLM-L6-v2+onnx-fp32")
    assert Embedder(backend="torch").name == "all-MiniLM-L6-v2"
    assert Embedder(backend="onnx").name == "all-MiniLM-L6-v2+onnx-int8-v3"


def test_onnx_fp32_gives_pytorchs_vectors_and_int8_stays_close(embedder: Embedder, torch_vectors: np.ndarray) -> None:
    fp32 = embedder.encode(TEXTS)
    int8 = Embedder(backend="onnx").encode(TEXTS)
    assert fp32.shape == int8.shape == (4, 384)
    assert np.abs(fp32 - torch_vectors).max() < 1e-5
    cosines = (int8 * torch_vectors).sum(axis=1)
    assert cosines.min() > 0.97, cosines
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(int8[0], int8[3])


def test_int8_quantises_every_matmul_with_a_scale_per_token() -> None:
    import onnx as onnx_format

    int8 = Embedder(backend="onnx")
    int8.encode(["warm"])
    graph = onnx_format.load(str(onnx.export_dir(int8.model_path) / "model-int8.onnx")).graph
    ops = [n.op_type for n in graph.node]
    layers = int8.model[0].auto_model.config.num_hidden_layers
    assert ops.count("MatMulIntegerToFloat") == 3 * layers  # attention output, feed-forward up and down, every layer
    assert ops.count("Attention") == layers and "MatMul" not in ops and "DynamicQuantizeLinear" not in ops
    weights = {init.name: init for init in graph.initializer}
    for node in (n for n in graph.node if n.op_type == "MatMulIntegerToFloat"):
        matrix, matrix_scales = weights[node.input[1]], weights[node.input[3]]
        assert matrix.data_type == onnx_format.TensorProto.INT8 and len(matrix.dims) == 2  # signed weights
        assert tuple(matrix_scales.dims) == (matrix.dims[1],)  # a scale per output channel
        assert node.input[2] not in weights  # the activations' scales are computed per run: one per token row
    quantizers = [n for n in graph.node if n.op_type == "QuantizeLinear"]
    assert len(quantizers) == 3 * layers and all(a.i == 0 for n in quantizers for a in n.attribute if a.name == "axis")


def test_an_int8_vector_does_not_depend_on_the_texts_batched_with_it() -> None:
    """Each token row is quantised with its own scale, so a text's vector is the same, to float rounding, alone, with
    its neighbours in one call, or in batches of other widths (the recipe before, one scale per batch tensor, moved
    components by up to 0.03 and cosines by up to 0.02: enough to change a product's tags)."""
    int8 = Embedder(backend="onnx").onnx
    texts = [*TEXTS, "blue denim jacket", "Stainless Steel Water Bottle 1L, leak proof, for gym and office", "mug"]
    together = int8.encode(texts)
    alone = np.stack([int8.encode([text])[0] for text in texts])
    small_batches = int8.encode(texts, batch_tokens=40)  # the short texts padded to other widths, in other company
    reversed_call = int8.encode(texts[::-1])[::-1]
    for other in (alone, small_batches, reversed_call):
        assert np.abs(other - together).max() < 1e-6
    # int8 really runs: its vectors are not fp32's
    fp32 = Embedder(backend="onnx-fp32").encode(texts)
    assert 0.99 < float((together * fp32).sum(axis=1).min()) < 0.99999


def test_int8_vectors_stay_close_to_fp32s(embedder: Embedder) -> None:
    """Cosine of int8 to fp32 vectors on these texts: above 0.99 each (400 Flipkart and OpenBG texts: 0.9989 on
    average, 0.9954 at least, docs/speed.md)."""
    fp32 = embedder.encode(TEXTS)
    int8 = Embedder(backend="onnx").encode(TEXTS)
    cosines = (int8 * fp32).sum(axis=1)
    assert cosines.min() > 0.99, cosines
    assert cosines.max() < 0.99999, cosines  # int8 really runs: not fp32's vectors


def test_the_int8_recipe_is_part_of_the_export_key(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    """A graph quantised by an earlier recipe is never loaded as this one's."""
    from tagllm.retrieval import onnx_graph

    before = onnx.export_key(embedder.model_path)
    monkeypatch.setattr(onnx_graph, "RECIPE", "another recipe")
    assert onnx.export_key(embedder.model_path) != before
    auto = Embedder()
    auto.adopt("all-MiniLM-L6-v2+onnx-int8")  # an index of an earlier recipe (feed-forward up-projections only)
    assert auto.name == embedder.name
    auto.adopt("all-MiniLM-L6-v2+onnx-int8-v2")  # one scale per batch: its vectors depended on the batch
    assert auto.name == embedder.name  # not taken: its queries would be encoded by another graph


def test_the_fp32_graph_is_fused_and_batching_by_tokens_changes_no_vector(embedder: Embedder) -> None:
    import onnx as onnx_format

    embedder.encode(["warm"])
    graph = onnx_format.load(str(onnx.export_dir(embedder.model_path) / "model-fp32.onnx"))
    assert {"Attention", "EmbedLayerNormalization", "SkipLayerNormalization"} <= {n.op_type for n in graph.graph.node}
    alone = embedder.onnx.encode(TEXTS, batch_tokens=1)  # one text per batch: no padding at all
    assert np.abs(embedder.onnx.encode(TEXTS, batch_tokens=10_000) - alone).max() < 1e-5


def _record_batch_shapes(encoder: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """From now on, the shape of each batch ``encoder`` runs is appended to the list returned."""
    shapes: list[tuple[int, int]] = []
    run = encoder.session.run

    def recording(outputs, feeds):  # type: ignore[no-untyped-def]
        shapes.append(feeds["input_ids"].shape)
        return run(outputs, feeds)

    monkeypatch.setattr(encoder, "session", type("Session", (), {"run": staticmethod(recording)})())
    return shapes


def test_onnx_batches_hold_as_many_texts_as_fit_in_the_token_budget(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = embedder.onnx
    shapes = _record_batch_shapes(encoder, monkeypatch)
    texts = ["red shirt", "blue cotton shirt", "wireless over-ear headphones with noise cancelling " * 20]
    lengths = sorted(embedder.model.preprocess(texts)["attention_mask"].sum(dim=1).tolist(), reverse=True)
    encoder.encode(texts, batch_tokens=2 * lengths[1])  # the long text alone, then both short ones together
    assert shapes == [(1, 128), (2, lengths[1])]  # the long text cut at max_seq_length


def test_a_long_text_is_not_batched_with_short_ones_it_would_pad(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = embedder.onnx
    texts = ["wireless over-ear headphones with noise cancelling " * 12] + [f"red shirt {i}" for i in range(20)]
    lengths = embedder.model.preprocess(texts)["attention_mask"].sum(dim=1).tolist()
    assert len(set(lengths[1:])) == 1 and 21 * lengths[0] > onnx.BATCH_TOKENS  # all 21 do not fit at its width
    expected = embedder.onnx.encode(texts, batch_tokens=1)
    shapes = _record_batch_shapes(encoder, monkeypatch)
    vectors = encoder.encode(texts)
    # filled up to the budget, 16 texts would have run at the long one's width, 15 of them nearly all padding
    assert shapes == [(1, lengths[0]), (20, lengths[1])]
    assert np.abs(vectors - expected).max() < 1e-5


@pytest.mark.parametrize("seed", range(5))
def test_token_batches_cover_every_text_once_within_the_budget_and_pad_least(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 129, size=300)
    batches = onnx.token_batches(lengths, budget=512, cost=16)
    assert sorted(np.concatenate(batches).tolist()) == list(range(300))
    widths = [int(lengths[b].max()) for b in batches]
    assert all(len(b) * w <= 512 or len(b) == 1 for b, w in zip(batches, widths, strict=True))
    assert [int(lengths[b[0]]) for b in batches] == widths  # each batch's first text is its longest
    # as cheap as filling each batch up to the budget, or cheaper
    order = np.argsort(-lengths, kind="stable")
    filled, start = 0, 0
    while start < len(order):
        width = int(lengths[order[start]])
        rows = max(1, 512 // width)
        filled += rows * width if start + rows <= len(order) else (len(order) - start) * width
        filled += 16
        start += rows
    assert sum(len(b) * w + 16 for b, w in zip(batches, widths, strict=True)) <= filled


def test_token_batches_cut_where_padding_costs_more_than_a_run() -> None:
    lengths = np.array([3, 20, 3, 3, 19])
    # all five at width 20: 100 tokens in one run; [20, 19] and [3, 3, 3]: 49 tokens in two
    assert [b.tolist() for b in onnx.token_batches(lengths, budget=100, cost=4)] == [[1, 4], [0, 2, 3]]
    assert [b.tolist() for b in onnx.token_batches(lengths, budget=100, cost=100)] == [[1, 4, 0, 2, 3]]
    # filled up to a budget of 60: [20, 19, 3] and [3, 3], 66 tokens in two runs
    assert [b.tolist() for b in onnx.token_batches(lengths, budget=60, cost=4)] == [[1, 4], [0, 2, 3]]


def test_a_graph_the_optimizer_cannot_fuse_is_kept_as_traced(
    embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from onnxruntime.transformers import optimizer

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("unknown pattern")

    embedder.encode(["warm"])
    traced = onnx.export_dir(embedder.model_path) / "model-fp32.onnx"
    monkeypatch.setattr(optimizer, "optimize_model", broken)
    onnx._fuse_or_keep(embedder.model, traced, tmp_path / "model-fp32.onnx")
    assert (tmp_path / "model-fp32.onnx").read_bytes() == traced.read_bytes()


def test_the_export_is_cached_per_model_and_versions(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder.encode(["warm"])
    exports = Path(onnx.export_dir(embedder.model_path))
    assert sorted(p.name for p in exports.iterdir()) == [
        "model-fp32.onnx",
        "model-int8.onnx",
        "tokenizer-settings.json",
        "tokenizer.json",
    ]
    made = (exports / "model-int8.onnx").stat().st_mtime_ns
    Embedder(backend="onnx").encode(["again"])  # a new embedder loads the export, it does not redo it
    assert (exports / "model-int8.onnx").stat().st_mtime_ns == made
    real = onnx._version
    monkeypatch.setattr(onnx, "_version", lambda package: "9.9" if package == "onnxruntime" else real(package))
    assert onnx.export_dir(embedder.model_path) != exports  # another onnxruntime exports again


def test_an_index_refuses_another_encoder_and_auto_takes_the_indexs(
    tmp_path: Path, demo_taxonomy, demo_index_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    built_with = ExampleIndex.load(demo_index_dir).manifest["embedder"]
    assert built_with == "all-MiniLM-L6-v2+onnx-fp32"
    with pytest.raises(IndexMismatchError) as caught:
        ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=Embedder(backend="torch"))
    assert str(caught.value) == (
        f"{demo_index_dir}: built with embedder 'all-MiniLM-L6-v2+onnx-fp32', but the embedder in use is "
        "'all-MiniLM-L6-v2'; its vectors are not comparable: rebuild the index (tagllm index build) or use that "
        "embedder (embedder_backend: torch for a name without '+onnx', onnx for '+onnx-int8-v3', onnx-fp32 for "
        "'+onnx-fp32', openvino for '+openvino')"
    )
    auto = Embedder(backend="auto")
    auto.adopt("all-MiniLM-L6-v2+onnx-int8-v3")  # e.g. an index built with int8 on another machine
    assert auto.name == "all-MiniLM-L6-v2+onnx-int8-v3"
    auto.adopt("all-MiniLM-L6-v2")
    assert auto.name == "all-MiniLM-L6-v2"
    auto.adopt("some-other-model")  # another model is not this one run differently: refused on load as before
    assert auto.name == "all-MiniLM-L6-v2"


def test_without_onnxruntime_auto_uses_torch_and_onnx_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx, "is_available", lambda: False)
    assert Embedder().name == "all-MiniLM-L6-v2"
    with pytest.raises(MissingDependencyError) as caught:
        Embedder(backend="onnx").encode(["x"])
    assert str(caught.value) == (
        "embedder_backend onnx needs onnxruntime and onnx (tagllm depends on both; they are missing here): "
        "pip install onnxruntime onnx, or set embedder_backend: torch"
    )


def test_a_model_that_does_not_export_falls_back_under_auto_and_fails_when_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(model_dir, quantization="int8", *, load_model):  # type: ignore[no-untyped-def]
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(onnx, "ensure_export", broken)
    with pytest.warns(UserWarning, match=r"ONNX export failed \(unsupported operator\); encoding with PyTorch"):
        assert Embedder().name == "all-MiniLM-L6-v2"
    with pytest.raises(ConfigError) as caught:
        Embedder(backend="onnx").encode(["x"])
    assert str(caught.value) == (
        "embedder 'all-MiniLM-L6-v2' could not be exported to ONNX (unsupported operator); set embedder_backend: torch"
    )


def test_auto_opens_one_onnx_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolving ``auto`` loads the encoder; ``load`` (what ``tagllm generate`` calls) loaded it a second time."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("on a GPU the default is PyTorch")
    opened: list[object] = []
    real = onnx.OnnxEncoder.__init__

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(onnx.OnnxEncoder, "__init__", counted)
    embedder = Embedder()
    embedder.load()
    embedder.encode(["a red cotton shirt"])
    assert len(opened) == 1 and embedder.onnx is opened[0]


def test_the_backend_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_EMBEDDER_BACKEND", "torch")
    config = load_config()
    assert Embedder.from_config(config).name == "all-MiniLM-L6-v2"
    with pytest.raises(
        ConfigError,
        match="embedder_backend='tensorrt': Input should be 'auto', 'torch', 'onnx', 'onnx-fp32' or 'openvino'",
    ):
        load_config(embedder_backend="tensorrt")


def test_the_fp32_default_exports_no_int8_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))
    Embedder().encode(["a red cotton shirt"])
    assert {p.name for p in (tmp_path / "onnx").rglob("*.onnx")} == {"model-fp32.onnx"}


@pytest.mark.skipif(not openvino.is_available(), reason="needs openvino (pip install 'tagllm[openvino]')")
def test_openvino_gives_pytorchs_vectors_from_a_cached_fp32_conversion(
    torch_vectors: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))
    embedder = Embedder(backend="openvino")
    vectors = embedder.encode(TEXTS)
    assert embedder.name == "all-MiniLM-L6-v2+openvino" and vectors.shape == (4, 384)
    assert np.abs(vectors - torch_vectors).max() < 1e-5
    converted = sorted(p.name for p in (tmp_path / "onnx").rglob("model.*"))
    assert converted == ["model.bin", "model.xml"]  # no ONNX graph kept: OpenVINO reads its own
    made = next((tmp_path / "onnx").rglob("model.bin")).stat().st_mtime_ns
    Embedder(backend="openvino").encode(["again"])  # a new embedder loads the conversion, it does not redo it
    assert next((tmp_path / "onnx").rglob("model.bin")).stat().st_mtime_ns == made


def test_without_openvino_its_backend_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openvino, "is_available", lambda: False)
    with pytest.raises(MissingDependencyError) as caught:
        Embedder(backend="openvino").encode(["x"])
    assert str(caught.value) == (
        "embedder_backend openvino needs OpenVINO: pip install 'tagllm[openvino]', or set embedder_backend: onnx-fp32"
    )
    auto = Embedder(backend="auto")
    auto.adopt("all-MiniLM-L6-v2+openvino")  # an index built with OpenVINO elsewhere: not adopted without it
    assert auto.name == "all-MiniLM-L6-v2+onnx-fp32"


def test_a_killed_exports_temporary_directory_is_swept_and_a_live_one_kept(tmp_path: Path) -> None:
    """A SIGKILLed first run left ``.export-*`` with its traced graph in the cache, never removed."""
    import os
    import time

    from tagllm.retrieval.onnx import STALE_SECONDS, sweep_stale

    stale, live, other = tmp_path / ".export-dead", tmp_path / ".quantize-live", tmp_path / "all-MiniLM-L6-v2-abc"
    for work in (stale, live, other):
        work.mkdir()
        (work / "traced.onnx").write_bytes(b"graph")
    old = time.time() - STALE_SECONDS - 60
    for path in (stale, other):
        os.utime(path, (old, old))
    sweep_stale(tmp_path)
    assert not stale.exists()
    assert live.exists() and other.exists()  # an export in progress elsewhere, and an export itself


def test_a_killed_openvino_conversions_temporary_directory_is_swept_and_a_live_one_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGKILLed OpenVINO conversion left ``.openvino-*`` with its traced graph in the export's cache directory,
    never removed: the next conversion swept only the ONNX export's ``.export-*`` and ``.quantize-*``."""
    import os
    import time

    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path / "cache"))
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    parent = onnx.export_dir(model_dir)
    stale, live = parent / ".openvino-dead", parent / ".openvino-live"
    for work in (stale, live):
        work.mkdir(parents=True)
        (work / "traced.onnx").write_bytes(b"graph")
    old = time.time() - onnx.STALE_SECONDS - 60
    os.utime(stale, (old, old))
    monkeypatch.setattr(openvino.tokenizer, "save", lambda model, work: None)
    monkeypatch.setattr(openvino.onnx_graph, "trace", lambda model, path: path.write_bytes(b"graph"))
    monkeypatch.setattr(openvino, "_convert", lambda source, target: target.write_bytes(b"xml"))
    monkeypatch.setattr(openvino, "_check", lambda model, path: None)
    assert openvino.ensure_model(model_dir, load_model=object).read_bytes() == b"xml"
    assert not stale.exists()
    assert live.exists()  # a conversion in progress in another process


@pytest.mark.parametrize("device", ["gpu", "cuda:99"])  # a name torch does not know; a device no machine here has
def test_a_device_torch_cannot_use_here_is_a_setup_mistake_naming_it(device: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Embedder(device=device).encode(["a red cotton shirt"])
    assert str(caught.value).startswith(f"device {device!r}: torch cannot use it here (")
    assert str(caught.value).endswith("; use cpu, cuda or cuda:N for a GPU it has, or leave --device unset")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["auto", "onnx-fp32"])
def test_a_damaged_cached_export_is_exported_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torch_vectors: np.ndarray, backend: str
) -> None:
    """A graph cut short in the cache (a power cut after a run) was the ONNX Runtime's parse error at every later
    run: ``auto`` fell back to PyTorch each time, ``onnx-fp32`` stopped the run."""
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))
    Embedder().encode(["warm"])
    [graph] = (tmp_path / "onnx").rglob("model-fp32.onnx")
    whole = graph.stat().st_size
    graph.write_bytes(graph.read_bytes()[: whole // 2])
    again = Embedder(backend=backend)  # type: ignore[arg-type]
    assert np.abs(again.encode(TEXTS) - torch_vectors).max() < 1e-4
    assert again.name == "all-MiniLM-L6-v2+onnx-fp32" and graph.stat().st_size > whole // 2  # exported again


@pytest.mark.slow
def test_a_damaged_cached_openvino_conversion_is_converted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torch_vectors: np.ndarray
) -> None:
    """A conversion cut short in the cache (a power cut after a run) failed to load at every later run, which stopped
    advising embedder_backend: torch. ONNX Runtime stands in for OpenVINO here: the 'conversion' is the traced graph."""
    import shutil

    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(openvino, "is_available", lambda: True)
    monkeypatch.setattr(openvino, "_convert", shutil.copyfile)
    monkeypatch.setattr(openvino, "OpenVinoSession", onnx._ort_session)
    Embedder(backend="openvino").encode(["warm"])
    [model] = (tmp_path / "onnx").rglob("model.xml")
    whole = model.stat().st_size
    model.write_bytes(model.read_bytes()[: whole // 2])
    again = Embedder(backend="openvino")
    assert np.abs(again.encode(TEXTS) - torch_vectors).max() < 1e-4
    assert again.name == "all-MiniLM-L6-v2+openvino" and model.stat().st_size == whole  # converted again


def test_an_onnx_export_is_readable_by_the_other_users_of_a_shared_cache_as_the_umask_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mkdtemp makes the export's directory 0700: another user of a shared cache saw no model in it, exported again
    into a place already taken and stopped with 'ONNX export … left no model'."""
    import os

    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path / "cache"))
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    monkeypatch.setattr(onnx.tokenizer, "save", lambda model, work: None)
    monkeypatch.setattr(onnx.onnx_graph, "trace", lambda model, path: path.write_bytes(b"graph"))
    monkeypatch.setattr(onnx, "_check_export", lambda model, path: None)
    monkeypatch.setattr(onnx, "_fuse_or_keep", lambda model, source, target: target.write_bytes(b"graph"))
    before = os.umask(0o022)
    try:
        exported = onnx.ensure_export(model_dir, "fp32", load_model=object)
    finally:
        os.umask(before)
    assert exported.stat().st_mode & 0o777 == 0o755
    assert (exported / "model-fp32.onnx").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("backend", ["onnx-fp32", "auto"])
def test_a_device_torch_cannot_use_is_refused_with_an_onnx_encoder_too(backend: str, demo_index_dir: Path) -> None:
    """ONNX Runtime runs on the CPU, and ``device: gpu`` (or cuda on a machine without one) was taken without a word
    when the index was built with it (auto adopts the index's encoder)."""
    embedder = Embedder(device="gpu", backend=backend)
    ExampleIndex.load(demo_index_dir, embedder=embedder)
    with pytest.raises(ConfigError) as caught:
        embedder.encode(["a red cotton shirt"])
    assert str(caught.value).startswith("device 'gpu': torch cannot use it here (")

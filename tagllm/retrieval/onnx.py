"""The ONNX Runtime encoder: a sentence-transformers model exported once to ONNX (optionally int8), cached, run on CPU.

The export traces the whole sentence-transformers module stack (transformer, pooling, dense layers, normalisation)
into one graph from the local model directory, so any model that loads with ``SentenceTransformer(path)`` and traces
exports, and tokenisation stays sentence-transformers' own. The transformer is traced with its attention written out
(``eager``) so that ONNX Runtime's transformer optimizer fuses each layer's attention, the embeddings with their
LayerNorm, residual adds with LayerNorm and bias with GELU into single operators; on all-MiniLM-L6-v2 the fused graph
has 59 operators instead of 689, and gives PyTorch's vectors (it is checked against them before use; a model
whose graph the optimizer cannot fuse keeps the traced graph). Dynamic int8 quantisation is ONNX Runtime's
``quantize_dynamic`` with per-channel weights, of the feed-forward MatMuls only (see ``_quantize``): quantising the
whole graph, per channel, kept a cosine of 0.992 on average to PyTorch's on 800 Flipkart texts (min 0.979) but cost
OpenBG (Chinese) 1.6 points of leaf accuracy; one scale per tensor kept 0.961 (min 0.913).

Exports live in ``<cache dir>/onnx/<key>/``, the key naming the model directory's files (names, sizes, times) and
the versions of everything that shapes the graph, so upgrading torch, transformers, sentence-transformers or
onnxruntime exports again instead of reusing a graph made by another version.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tagllm.errors import ConfigError

EXPORT_VERSION = 3  # bump when the way a model is exported or quantised changes
QUANTIZATIONS = ("int8", "fp32")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Tokens per batch (rows x the batch's longest text). Batches of 32 texts ran short titles (median 14 tokens on
# Flipkart) in small matrix products; a token budget runs them some 140 at a time and a long description alone-ish.
# On 1,000 Flipkart texts in one call, interleaved, 3 rounds (2 shared cores, load average ~8), 2,048 tokens encoded
# 1.34x as fast as batches of 32 (1,024: 1.24x; 4,096: 1.11x), with the same vectors.
BATCH_TOKENS = 2048
# Texts the fp32 export is checked on against PyTorch before it is used: short and long, so that a graph whose
# tracing froze a shape would show it.
_PROBES = (
    "cotton shirt",
    "Men's Slim Fit Casual Shirt, 100% cotton, full sleeves, machine wash; ideal for office wear and parties " * 4,
    "女士连衣裙 夏季 新款",
)


def is_available() -> bool:
    """Whether ONNX Runtime and the ``onnx`` package (needed to quantise) can be imported, without importing them."""
    from importlib.util import find_spec

    return find_spec("onnxruntime") is not None and find_spec("onnx") is not None


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def export_key(model_dir: str | Path) -> str:
    """The cache key of a model directory's export: its files and the versions of the tools that export and run it."""
    from tagllm.cache import cache_key

    root = Path(model_dir).resolve()
    files = sorted(
        f"{p.relative_to(root)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in root.rglob("*") if p.is_file()
    )
    versions = [f"{p}={_version(p)}" for p in ("torch", "transformers", "sentence-transformers", "onnxruntime", "onnx")]
    return cache_key(str(root), *files, *versions, f"export-{EXPORT_VERSION}")


def export_dir(model_dir: str | Path) -> Path:
    from tagllm.cache import cache_dir

    return cache_dir() / "onnx" / export_key(model_dir)


def ensure_export(model: Any, model_dir: str | Path, quantization: str = "int8") -> Path:
    """The directory holding ``model-fp32.onnx`` (and ``model-int8.onnx`` when ``quantization`` is int8) for
    ``model``, exporting what is missing; the int8 graph is quantised only when asked for (a tenth of a first run on
    two cores, for a graph the fp32 default never reads).

    ``model`` is the SentenceTransformer loaded from ``model_dir``. Concurrent processes (Ray workers, parallel
    tests) may export at the same time: each writes to its own temporary directory and the first rename wins.
    """
    target = export_dir(model_dir)
    wanted = target / f"model-{quantization}.onnx"
    if wanted.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (target / "model-fp32.onnx").exists():
        work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
        try:
            _export(model, work / "traced.onnx")
            _check_export(model, work / "traced.onnx")
            _fuse_or_keep(model, work / "traced.onnx", work / "model-fp32.onnx")
            (work / "traced.onnx").unlink()
            with contextlib.suppress(OSError):  # another process renamed its export there first: keep that one
                os.replace(work, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if quantization == "int8" and not wanted.exists():
        work = Path(tempfile.mkdtemp(prefix=".quantize-", dir=target.parent))
        try:
            _quantize(target / "model-fp32.onnx", work / wanted.name, _intermediate_size(model))
            with contextlib.suppress(OSError):
                os.replace(work / wanted.name, wanted)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if not wanted.exists():
        raise ConfigError(f"ONNX export of {model_dir} left no model in {target}")
    return target


def _intermediate_size(model: Any) -> int | None:
    """The width of the transformer's feed-forward layers (what ``_quantize`` quantises), if its config says."""
    config = getattr(getattr(model[0], "auto_model", None), "config", None) if len(model) else None
    size = getattr(config, "intermediate_size", None)
    return int(size) if isinstance(size, int) and size > 0 else None


def _sentence_graph(model: Any, names: Sequence[str]) -> Any:
    """A module taking the token tensors positionally and returning the sentence embeddings (what is traced)."""
    import torch

    class SentenceGraph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> Any:
            return self.model(dict(zip(names, tensors, strict=True)))["sentence_embedding"]

    return SentenceGraph().eval()


def _input_names(features: dict[str, Any]) -> list[str]:
    return [name for name in _INPUTS if name in features]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Tracing and quantising warn about things that do not apply here (traced branches that are constant for a
    sentence encoder, the optional pre-processing step): a CLI user would only see noise."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


@contextlib.contextmanager
def _eager_attention(model: Any) -> Iterator[None]:
    """Trace the transformer's attention as written out (``eager``), not as PyTorch's fused SDPA call.

    SDPA traces to a pattern (with NaN guards) that ONNX Runtime's transformer optimizer does not recognise, so
    attention would stay a dozen small operators per layer; the eager pattern fuses into one ``Attention`` node.
    The two give the same vectors (the export is checked against PyTorch either way)."""
    transformer = getattr(model[0], "auto_model", None) if len(model) else None
    switch = getattr(transformer, "set_attn_implementation", None)
    before = getattr(getattr(transformer, "config", None), "_attn_implementation", None)
    if switch is None or before in (None, "eager"):
        yield
        return
    try:
        switch("eager")
    except (ValueError, NotImplementedError):  # a model without an eager path: trace what it has
        yield
        return
    try:
        yield
    finally:
        switch(before)


def _export(model: Any, path: Path) -> None:
    import torch

    features = model.preprocess(["a short text", "a somewhat longer text to export with"])
    names = _input_names(features)
    if "input_ids" not in names:
        raise ConfigError("the embedder's first module does not take token ids; only text models export to ONNX")
    graph = _sentence_graph(model.cpu(), names)
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    with _quiet(), torch.no_grad(), _eager_attention(model):
        torch.onnx.export(
            graph,
            tuple(features[name] for name in names),
            str(path),
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, and it traces BERT-like encoders well
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=17,
        )


def _check_export(model: Any, path: Path) -> None:
    """The fp32 graph must give PyTorch's embeddings (to float rounding) on texts of other lengths than the trace's."""
    import torch

    with torch.no_grad():
        expected = model.encode(list(_PROBES), convert_to_numpy=True, normalize_embeddings=True)
    got = OnnxEncoder(path, model).encode(list(_PROBES))
    error = float(np.abs(got - expected).max())
    if error > 1e-3:
        raise ConfigError(f"the ONNX export differs from PyTorch by {error:.4f} on probe texts; it is not used")


def _fuse_or_keep(model: Any, source: Path, target: Path) -> None:
    """``source`` with ONNX Runtime's BERT fusions (attention, embedding + LayerNorm, skip + LayerNorm, bias + GELU)
    saved as ``target``, if the fused graph still gives PyTorch's vectors; else ``source`` itself.

    The fusions are what makes the fp32 graph faster than PyTorch on a CPU (see the module docstring). A model the
    optimizer does not know keeps whatever fused (possibly nothing); one it breaks is caught by the check."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        config = getattr(getattr(model[0], "auto_model", None), "config", None)
        with _quiet():
            fused = optimize_model(
                str(source),
                model_type="bert",
                num_heads=int(getattr(config, "num_attention_heads", 0) or 0),  # 0: read from the graph
                hidden_size=int(getattr(config, "hidden_size", 0) or 0),
                opt_level=1,
            )
            fused.save_model_to_file(str(target))
        _check_export(model, target)
    except Exception as exc:  # noqa: BLE001 -- any failure leaves the traced graph, which was checked
        logging.getLogger(__name__).info("ONNX fusion skipped for this model: %s", exc)
        shutil.copyfile(source, target)


def _quantize(source: Path, target: Path, intermediate_size: int | None = None) -> None:
    """``source`` with dynamic int8 weights (per channel, unsigned) in its feed-forward MatMuls only; attention,
    embeddings and LayerNorms stay fp32.

    The feed-forward MatMuls are two thirds of a BERT layer's multiply-adds, and the part that quantises with
    little loss; quantising attention as well is what moved OpenBG's (Chinese) vectors most. Unsigned weights: with
    uint8 activations, CPUs without VNNI multiply u8 by s8 in 16-bit sums that can saturate (ONNX Runtime's
    quantisation notes), u8 by u8 they cannot. On all-MiniLM-L6-v2 and 911 Flipkart texts the vectors kept a cosine
    of 0.9948 on average to fp32's (min 0.990): signed weights 0.9945 (min 0.989), every MatMul 0.9939 (min 0.984).
    A model whose feed-forward MatMuls cannot be told (no ``intermediate_size``) has every MatMul with constant
    weights quantised."""
    import onnx
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    nodes = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and any(
            len(shapes.get(name, ())) == 2 and (intermediate_size is None or intermediate_size in shapes[name])
            for name in node.input
        )
    ]
    with _quiet():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QUInt8,
            per_channel=True,
            nodes_to_quantize=nodes,
            op_types_to_quantize=["MatMul"],
            # the fused operators' outputs have no inferred type; they are float
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )


def _ort_session(path: str | Path) -> Any:
    import onnxruntime as ort

    ort.disable_telemetry_events()  # a tagging run reports nothing about itself to anyone
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Runs an exported sentence graph with ONNX Runtime on CPU; tokenisation is the SentenceTransformer's own."""

    def __init__(self, path: str | Path, model: Any, session: Any = None) -> None:
        """``session`` runs the graph (``tagllm.retrieval.openvino`` passes OpenVINO's); by default ONNX Runtime's
        for ``path``."""
        self.session = session if session is not None else _ort_session(path)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.model = model
        width = self.session.get_outputs()[0].shape[-1]
        self.dim = int(width) if isinstance(width, int) else None

    def encode(self, texts: Sequence[str], *, batch_tokens: int = BATCH_TOKENS) -> np.ndarray:
        """L2-normalised embeddings, one row per text.

        The texts are tokenised in one call (sentence-transformers' own tokenisation), sorted by token count and
        batched by it: each batch is cut to its longest text and holds as many texts as fit in ``batch_tokens``
        (at least one), so short titles go in large batches and long descriptions in small ones (see
        ``BATCH_TOKENS``)."""
        if not texts:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        features = self.model.preprocess(list(texts))
        tokens = {name: features[name].numpy().astype(np.int64, copy=False) for name in self.inputs}
        lengths = tokens["attention_mask"].sum(axis=1)
        left = getattr(self.model.tokenizer, "padding_side", "right") == "left"
        order = np.argsort(-lengths, kind="stable")
        out: np.ndarray | None = None
        start = 0
        while start < len(texts):
            width = max(int(lengths[order[start]]), 1)
            rows = order[start : start + max(1, batch_tokens // width)]
            start += len(rows)
            columns = slice(-width, None) if left else slice(0, width)
            vectors = self.session.run(None, {name: array[rows, columns] for name, array in tokens.items()})[0]
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        assert out is not None
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

"""Tracing a sentence-transformers model into one ONNX graph, fusing its operators and quantising it to int8.

The export traces the whole sentence-transformers module stack (transformer, pooling, dense layers, normalisation) into
one graph from the local model directory, so any model that loads with ``SentenceTransformer(path)`` and traces exports;
its tokenizer is saved beside the graph (``tagllm.retrieval.tokenizer``). The transformer is traced with its attention
written out (``eager``) so that ONNX Runtime's transformer optimizer fuses each layer's attention, the embeddings with
their LayerNorm, residual adds with LayerNorm and bias with GELU into single operators; on all-MiniLM-L6-v2 the fused
graph has 59 operators instead of 689, and gives PyTorch's vectors (``tagllm.retrieval.onnx`` checks it against them
before use; a model whose graph the optimizer cannot fuse keeps the traced graph). Dynamic int8 quantisation is ONNX
Runtime's ``quantize_dynamic`` with signed per-channel weights, of each feed-forward block's up-projection only (see
``quantize``): quantising the whole graph, per channel, kept a cosine of 0.992 on average to PyTorch's on 800 Flipkart
texts (min 0.979) but cost OpenBG (Chinese) 1.6 points of leaf accuracy; one scale per tensor kept 0.961 (min 0.913).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tagllm.errors import ConfigError

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


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
def quiet() -> Iterator[None]:
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


def trace(model: Any, path: Path) -> None:
    """Trace ``model`` (a SentenceTransformer) from token tensors to its sentence embeddings into ``path``."""
    import torch

    features = model.preprocess(["a short text", "a somewhat longer text to export with"])
    names = _input_names(features)
    if "input_ids" not in names:
        raise ConfigError("the embedder's first module does not take token ids; only text models export to ONNX")
    graph = _sentence_graph(model.cpu(), names)
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    with quiet(), torch.no_grad(), _eager_attention(model):
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


def fuse(model: Any, source: Path, target: Path) -> None:
    """``source`` with ONNX Runtime's BERT fusions (attention, embedding + LayerNorm, skip + LayerNorm, bias + GELU)
    saved as ``target``; raises whatever the optimizer raises on a graph it cannot handle."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = getattr(getattr(model[0], "auto_model", None), "config", None)
    with quiet():
        fused = optimize_model(
            str(source),
            model_type="bert",
            num_heads=int(getattr(config, "num_attention_heads", 0) or 0),  # 0: read from the graph
            hidden_size=int(getattr(config, "hidden_size", 0) or 0),
            opt_level=1,
        )
        fused.save_model_to_file(str(target))


def quantize(source: Path, target: Path, intermediate_size: int | None = None) -> None:
    """``source`` with dynamic int8 weights (per channel, signed) in each feed-forward block's first MatMul only (the
    up-projection to ``intermediate_size``); attention, the down-projection, embeddings and LayerNorms stay fp32.

    OpenBG (Chinese) leaf accuracy, 5-fold on its 500 products (one product is 0.2 points), ``benchmarks/accuracy.py``:
    fp32 0.876; both feed-forward MatMuls, unsigned weights (the previous recipe) 0.872; the up-projection alone,
    unsigned, 0.868; the up-projection alone, signed (this recipe) 0.876, and Flipkart 0.9308 as with fp32 (one 80/20
    split). Its vectors kept a cosine of 0.9977 on average to fp32's on 1,339 Flipkart texts (min 0.9949; both
    feed-forward MatMuls, unsigned: 0.9946, min 0.9884). Signed weights by uint8 activations may saturate on CPUs
    without VNNI (ONNX Runtime's quantisation notes); these figures were measured on one (AMD EPYC, AVX2). A model
    whose feed-forward MatMuls cannot be told (no ``intermediate_size``) has every MatMul with constant weights
    quantised."""
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
            len(shapes.get(name, ())) == 2 and (intermediate_size is None or shapes[name][1] == intermediate_size)
            for name in node.input
        )
    ]
    with quiet():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_quantize=nodes,
            op_types_to_quantize=["MatMul"],
            # the fused operators' outputs have no inferred type; they are float
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )


def intermediate_size(model: Any) -> int | None:
    """The width of the transformer's feed-forward layers (what ``quantize`` quantises), if its config says."""
    config = getattr(getattr(model[0], "auto_model", None), "config", None) if len(model) else None
    size = getattr(config, "intermediate_size", None)
    return int(size) if isinstance(size, int) and size > 0 else None

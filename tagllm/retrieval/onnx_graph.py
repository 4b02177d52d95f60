"""Tracing a sentence-transformers model into one ONNX graph, fusing its operators and quantising it to int8.

The export traces the whole sentence-transformers module stack (transformer, pooling, dense layers, normalisation) into
one graph from the local model directory, so any model that loads with ``SentenceTransformer(path)`` and traces exports;
its tokenizer is saved beside the graph (``tagllm.retrieval.tokenizer``). The transformer is traced with its attention
written out (``eager``) so that ONNX Runtime's transformer optimizer fuses each layer's attention, the embeddings with
their LayerNorm, residual adds with LayerNorm and bias with GELU into single operators; on all-MiniLM-L6-v2 the fused
graph has 59 operators instead of 689, and gives PyTorch's vectors (``tagllm.retrieval.onnx`` checks it against them
before use; a model whose graph the optimizer cannot fuse keeps the traced graph). Int8 quantisation rewrites each
MatMul by a constant matrix into ONNX Runtime's integer MatMul with per-channel weights and a scale per token row,
so a text's vector does not depend on the texts batched with it (see ``quantize``).
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


# What ``quantize`` quantises, named in the export's cache key (``tagllm.retrieval.onnx.export_key``): a graph
# quantised by another recipe is never reused.
RECIPE = "int8-per-row-activations-per-channel-weights-all-matmuls"
# Activations are quantised symmetrically around this zero point (uint8, what ONNX Runtime's integer MatMul takes).
_ZERO_POINT = 128
_LEVELS = 127  # quantised magnitudes of activations and weights: -127 .. 127


def quantize(source: Path, target: Path) -> None:
    """``source`` with every MatMul by a constant matrix in int8 (``int8_nodes``): signed weights with a scale per
    output channel, and activations quantised at run time with a scale per row, that is per token of each text.

    ONNX Runtime's ``quantize_dynamic`` (the recipe before) takes one activation scale per MatMul over the whole batch
    tensor, padding included, so a text's vector moved with the texts encoded beside it (by up to 0.03 per component;
    the 40 quick-start products tagged as one file and as two gave 2 of them other tags). Here each token's row is
    scaled by its own largest magnitude (``_quantized_matmul``), so a text's vector depends on its own tokens only:
    within float rounding of the same text in any batch, as the fp32 graph's (1e-7 on 400 Flipkart and OpenBG texts,
    ``tests/test_embedder.py``). A scale per row also follows the activations more closely than one per batch: a
    cosine of 0.9989 on average to fp32's vectors (0.9954 at least) against 0.9933 (0.9806) for the recipe before,
    with every layer quantised where that recipe had to keep the last in fp32 (docs/speed.md). Attention, the
    embeddings and the LayerNorms stay fp32."""
    import onnx

    model = onnx.load(str(source))
    graph = model.graph
    wanted = set(int8_nodes(graph))
    weights = {init.name: init for init in graph.initializer}
    nodes: list[Any] = []
    for node in graph.node:
        if node.name in wanted:
            nodes += _quantized_matmul(node, weights, graph.initializer)
        else:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]  # the fp32 matrices replaced go
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(opset.domain == "com.microsoft" for opset in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(target))


def _quantized_matmul(node: Any, weights: dict[str, Any], initializer: Any) -> list[Any]:
    """The nodes replacing ``node`` (``x @ W``, ``W`` a constant matrix) by an int8 product, each row of ``x`` (a
    token) quantised with its own scale: ``s = max|x_row| / 127``, ``q = round(x_row / s) + 128`` (``QuantizeLinear``
    per row of ``x`` flattened to 2-D), then ONNX Runtime's ``MatMulIntegerToFloat``, which multiplies the integer
    product by the weights' per-channel scales and, given a scale per row, by that too. The new initializers (int8
    weights, their scales) are appended to ``initializer``."""
    import numpy as np
    from onnx import helper, numpy_helper

    x, w = node.input
    matrix = numpy_helper.to_array(weights[w]).astype(np.float32)
    columns = np.maximum(np.abs(matrix).max(axis=0), np.float32(1e-12)) / _LEVELS
    prefix = f"{node.name}_int8_rows"
    constants = {
        "weight": np.clip(np.round(matrix / columns), -_LEVELS, _LEVELS).astype(np.int8),
        "weight_scale": columns.astype(np.float32),
        "per_level": np.array(1.0 / _LEVELS, np.float32),
        "least_scale": np.array(1e-12, np.float32),  # a row of zeros: any scale quantises it to the zero point
        "zero_point": np.array(_ZERO_POINT, np.uint8),
        "zero_points": np.array([_ZERO_POINT], np.uint8),
        "flat": np.array([-1], np.int64),
        "rows_by_width": np.array([-1, matrix.shape[0]], np.int64),
    }
    initializer.extend(numpy_helper.from_array(value, f"{prefix}_{key}") for key, value in constants.items())

    def name(part: str) -> str:
        return f"{prefix}_{part}"

    return [
        helper.make_node("Abs", [x], [name("abs")]),
        helper.make_node("ReduceMax", [name("abs")], [name("largest")], axes=[-1], keepdims=1),
        helper.make_node("Mul", [name("largest"), name("per_level")], [name("unguarded_scale")]),
        helper.make_node("Max", [name("unguarded_scale"), name("least_scale")], [name("scale")]),  # [.., rows, 1]
        helper.make_node("Reshape", [name("scale"), name("flat")], [name("row_scales")]),
        helper.make_node("Shape", [name("row_scales")], [name("row_count")]),
        helper.make_node("Expand", [name("zero_points"), name("row_count")], [name("row_zero_points")]),
        helper.make_node("Reshape", [x, name("rows_by_width")], [name("rows")]),
        helper.make_node(
            "QuantizeLinear", [name("rows"), name("row_scales"), name("row_zero_points")], [name("qrows")], axis=0
        ),
        helper.make_node("Shape", [x], [name("shape")]),
        helper.make_node("Reshape", [name("qrows"), name("shape")], [name("q")]),
        helper.make_node(
            "MatMulIntegerToFloat",
            [name("q"), name("weight"), name("scale"), name("weight_scale"), name("zero_point")],
            list(node.output),
            name=prefix,
            domain="com.microsoft",
        ),
    ]


def int8_nodes(graph: Any) -> list[str]:
    """The nodes ``quantize`` quantises: each MatMul of activations by a constant matrix (in a BERT-like encoder,
    each layer's attention output and feed-forward projections). The fused attention's Q/K/V projection is inside its
    ``Attention`` operator, whose quantised form (``QAttention``) takes its input with one scale per batch: it stays
    fp32."""
    matrices = {init.name for init in graph.initializer if len(init.dims) == 2}
    return [node.name for node in graph.node if node.op_type == "MatMul" and node.input[1] in matrices]

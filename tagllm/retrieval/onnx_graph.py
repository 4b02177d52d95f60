"""Tracing a sentence-transformers model into one ONNX graph, fusing its operators and quantising it to int8.

The export traces the whole sentence-transformers module stack (transformer, pooling, dense layers, normalisation) into
one graph from the local model directory, so any model that loads with ``SentenceTransformer(path)`` and traces exports;
its tokenizer is saved beside the graph (``tagllm.retrieval.tokenizer``). The transformer is traced with its attention
written out (``eager``) so that ONNX Runtime's transformer optimizer fuses each layer's attention, the embeddings with
their LayerNorm, residual adds with LayerNorm and bias with GELU into single operators; on all-MiniLM-L6-v2 the fused
graph has 59 operators instead of 689, and gives PyTorch's vectors (``tagllm.retrieval.onnx`` checks it against them
before use; a model whose graph the optimizer cannot fuse keeps the traced graph). Dynamic int8 quantisation is ONNX
Runtime's ``quantize_dynamic`` with signed per-channel weights, of every projection but the last layer's (see
``quantize``).
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
RECIPE = "dynamic-int8-signed-per-channel-all-projections-last-layer-fp32"


def quantize(source: Path, target: Path) -> None:
    """``source`` with dynamic int8 weights (per channel, signed) in every layer's projections but the last layer's:
    the fused attention's Q/K/V (``QAttention``), the attention output and both feed-forward MatMuls; the last layer,
    the embeddings and the LayerNorms stay fp32 (``int8_nodes``).

    Measured on an AMD EPYC (AVX2, no VNNI) in CPU time, interleaved in one process on 400 distinct Flipkart and
    OpenBG texts (``benchmarks/int8_recipes.py``, docs/speed.md): 1.51x the fp32 graph at one intra-op thread, where
    the previous recipe (each feed-forward up-projection only) ran 1.19x; OpenBG leaf accuracy 0.880 against fp32's
    0.876 (``benchmarks/accuracy.py``, 5-fold, one product is 0.2 points), Flipkart 0.9301 against 0.9311 (80/20, 3,149
    test products). Quantising the last layer too ran a little faster (1.63x) but cost OpenBG 0.6 points (0.870);
    keeping the first layer fp32 instead, 0.8 (0.868)."""
    import onnx
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = int8_nodes(onnx.load(str(source), load_external_data=False).graph)
    with quiet():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_quantize=nodes,
            op_types_to_quantize=["MatMul", "Attention"],
            # the fused operators' outputs have no inferred type; they are float
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )


def int8_nodes(graph: Any) -> list[str]:
    """The nodes ``quantize`` quantises: each fused ``Attention`` and each MatMul by a constant matrix, but those of
    the last layer (from the one but last feed-forward down-projection, a MatMul whose weight has more rows than
    columns, to the last). A graph of one layer, or whose layers cannot be told, has all of them quantised."""
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    found: list[tuple[str, int]] = []  # (node, how many down-projections precede it)
    downs = 0
    for node in graph.node:
        weights = [shapes[name] for name in node.input if len(shapes.get(name, ())) == 2]
        if node.op_type == "Attention" or (node.op_type == "MatMul" and weights):
            found.append((node.name, downs))
            if node.op_type == "MatMul" and weights[0][0] > weights[0][1]:
                downs += 1
    last = downs - 1  # the last layer's nodes follow the one but last down-projection
    return [name for name, before in found if downs < 2 or before != last]

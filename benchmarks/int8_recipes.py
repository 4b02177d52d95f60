"""Int8 recipes for the ONNX encoder: CPU time against raw PyTorch and the fp32 graph, and cosine to fp32's vectors.

    python benchmarks/int8_recipes.py --threads 1 --rounds 2 --flipkart 300 --openbg 100 --recipes up all-skip-last all

``per-row`` is tagllm's ``onnx`` recipe (``tagllm.retrieval.onnx_graph.quantize``: every MatMul int8, each token
row of the activations with its own scale); ``per-row-qkv`` that and each layer's Q/K/V projection as well
(``unfuse_attention``). Each other recipe is ONNX Runtime's ``quantize_dynamic`` of the cached
fused fp32 graph (``tagllm.retrieval.onnx``), one activation scale per batch tensor, with chosen nodes: ``qkv`` (each
layer's fused ``Attention``, its Q/K/V projection, to ``QAttention``), ``out`` (attention output projection), ``up``
and ``down`` (feed-forward projections); ``all-skip-last`` was tagllm's ``onnx`` recipe in sessions s39 to s41
(``up`` alone before). The encoders run interleaved in one process on the same distinct Flipkart and
OpenBG texts, each with ``--threads`` intra-op threads (``torch.set_num_threads`` for PyTorch), and are timed in CPU
time (user + system of the process, ``resource.getrusage``): on a shared machine wall time says more about the other
jobs than about the encoder. "moved by its batch" is the largest change of a vector component between 50 texts
encoded one at a time and the same texts encoded in one call with the others: what a text's neighbours in a file do
to its vector.

Every recipe's graph is also saved as ``model-int8.onnx`` in an export cache of its own under ``--work``, so its
accuracy is ``TAGLLM_CACHE_DIR=<work>/cache-<recipe> python benchmarks/accuracy.py --embedder-backend onnx
--cache-embeddings <a folder per recipe>`` (the command is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ALL = ("qkv", "out", "up", "down")
# name: (roles quantised, signed weights, per channel, reduce_range, layers kept fp32: 0 first, -1 last)
RECIPES: dict[str, tuple[tuple[str, ...], bool, bool, bool, tuple[int, ...]]] = {
    "up": (("up",), True, True, False, ()),
    "ffn": (("up", "down"), True, True, False, ()),
    "ffn-out": (("up", "down", "out"), True, True, False, ()),
    "up-out-qkv": (("up", "out", "qkv"), True, True, False, ()),
    "all": (ALL, True, True, False, ()),
    "all-reduce-range": (ALL, True, True, True, ()),
    "all-unsigned": (ALL, False, True, False, ()),
    "all-per-tensor": (ALL, True, False, False, ()),
    "all-skip-first": (ALL, True, True, False, (0,)),
    "all-skip-last": (ALL, True, True, False, (-1,)),
}
PER_ROW = "per-row"
# per-row, and each layer's Q/K/V projection too: the fused ``Attention`` split into that projection, as a per-row
# int8 MatMul, and ONNX Runtime's ``MultiHeadAttention`` on its output (``unfuse_attention``)
PER_ROW_QKV = "per-row-qkv"


def roles(graph: object) -> dict[str, tuple[str, int]]:
    """Each quantisable node's role (qkv, out, up, down) and layer, in graph order."""
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}  # type: ignore[attr-defined]
    found: dict[str, tuple[str, int]] = {}
    count: dict[str, int] = {}
    for node in graph.node:  # type: ignore[attr-defined]
        role = None
        if node.op_type == "Attention":
            role = "qkv"
        elif node.op_type == "MatMul":
            weights = [shapes[name] for name in node.input if len(shapes.get(name, ())) == 2]
            if weights:
                rows, columns = weights[0]
                role = "up" if columns > rows else "down" if rows > columns else "out"
        if role:
            found[node.name] = (role, count.get(role, 0))
            count[role] = count.get(role, 0) + 1
    layers = max(count.values(), default=0)
    return {name: (role, layer if layer < layers - 1 else -1) for name, (role, layer) in found.items()}


def build(source: Path, target: Path, recipe: str) -> int:
    import onnx
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from tagllm.retrieval import onnx_graph

    if recipe in (PER_ROW, PER_ROW_QKV):
        onnx_graph.quantize(source, target)
        count = len(onnx_graph.int8_nodes(onnx.load(str(source), load_external_data=False).graph))
        return count + (unfuse_attention(target, quantized=True) if recipe == PER_ROW_QKV else 0)

    wanted, signed, per_channel, reduce_range, kept = RECIPES[recipe]
    found = roles(onnx.load(str(source), load_external_data=False).graph)
    nodes = [name for name, (role, layer) in found.items() if role in wanted and layer not in kept]
    with onnx_graph.quiet():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8 if signed else QuantType.QUInt8,
            per_channel=per_channel,
            reduce_range=reduce_range,
            nodes_to_quantize=nodes,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    return len(nodes)


def unfuse_attention(path: Path, *, quantized: bool) -> int:
    """Rewrite the graph at ``path``: each fused ``Attention`` (Q/K/V projection and attention in one operator) as
    its projection, a MatMul by the packed Q/K/V weights (with ``quantized``, tagllm's per-row int8 product), split
    into Q, K and V, and ``MultiHeadAttention`` given the projection's bias and the same mask (``mask_index``: each
    text's token count). ONNX Runtime's quantised attention (``QAttention``) takes one activation scale per batch,
    so a per-row Q/K/V needs the projection outside the attention. Returns how many were rewritten."""
    import onnx
    from onnx import helper, numpy_helper

    from tagllm.retrieval import onnx_graph

    model = onnx.load(str(path))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes: list[object] = []
    count = 0
    for node in graph.node:
        if node.op_type != "Attention":
            nodes.append(node)
            continue
        x, packed, bias, mask = node.input[:4]
        width = int(weights[packed].dims[1]) // 3
        heads = next(helper.get_attribute_value(a) for a in node.attribute if a.name == "num_heads")
        prefix = f"{node.name or packed}_unfused"
        projection = helper.make_node("MatMul", [x, packed], [f"{prefix}_qkv"], name=f"{prefix}_projection")
        if quantized:
            nodes += onnx_graph._quantized_matmul(projection, weights, graph.initializer)
        else:
            nodes.append(projection)
        sizes = f"{prefix}_sizes"
        graph.initializer.append(numpy_helper.from_array(np.array([width] * 3, np.int64), sizes))
        parts = [f"{prefix}_{part}" for part in ("q", "k", "v")]
        nodes.append(helper.make_node("Split", [f"{prefix}_qkv", sizes], parts, axis=-1))
        nodes.append(
            helper.make_node(
                "MultiHeadAttention",
                [*parts, bias, mask],
                list(node.output),
                name=f"{prefix}_attention",
                domain="com.microsoft",
                num_heads=heads,
            )
        )
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)  # type: ignore[arg-type]
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.save(model, str(path))
    return count


def distinct_texts(path: Path, n: int) -> list[str]:
    from tagllm.models import Product

    seen: dict[str, None] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if len(seen) >= n:
                break
            if line.strip():
                seen.setdefault(Product.model_validate(json.loads(line)).text(), None)
    return list(seen)


def session(path: Path, threads: int) -> object:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as tagllm's sessions
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--flipkart", type=int, default=300, help="distinct Flipkart texts")
    parser.add_argument("--openbg", type=int, default=100, help="distinct OpenBG texts")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads of every encoder")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--recipes", nargs="+", default=[PER_ROW, *RECIPES], choices=[PER_ROW, PER_ROW_QKV, *RECIPES])
    parser.add_argument("--work", type=Path, default=None, help="where the recipes' graphs go (default: a temp dir)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import torch

    from tagllm.retrieval import onnx
    from tagllm.retrieval.embedder import Embedder
    from tagllm.retrieval.tokenizer import SentenceTokenizer

    torch.set_num_threads(args.threads)
    work = args.work or Path(tempfile.mkdtemp(prefix="tagllm-int8-"))
    fp32 = Embedder(backend="onnx-fp32")
    fp32.load()  # exports (or finds) the fused fp32 graph in the cache
    export = onnx.export_dir(fp32.model_path)
    texts = distinct_texts(args.data / "flipkart" / "products.jsonl", args.flipkart)
    texts += distinct_texts(args.data / "openbg-zh" / "products.jsonl", args.openbg)
    tokens = SentenceTokenizer(export, fp32.max_seq_length)
    model = Embedder(backend="torch").model
    encoders: dict[str, Callable[[list[str]], np.ndarray]] = {
        "torch": lambda t: model.encode(t, batch_size=32, convert_to_numpy=True, normalize_embeddings=True),
        "fp32": onnx.OnnxEncoder(
            export / "model-fp32.onnx", tokens, session(export / "model-fp32.onnx", args.threads)
        ).encode,
    }
    for recipe in args.recipes:
        cache = work / f"cache-{recipe}" / "onnx" / export.name
        cache.mkdir(parents=True, exist_ok=True)
        for file in export.iterdir():
            if file.name != "model-int8.onnx" and file.is_file():
                shutil.copy2(file, cache / file.name)
        count = build(export / "model-fp32.onnx", cache / "model-int8.onnx", recipe)
        print(
            f"{recipe}: {count} nodes quantised; accuracy: TAGLLM_CACHE_DIR={work / f'cache-{recipe}'} python "
            f"benchmarks/accuracy.py --embedder-backend onnx --cache-embeddings {work / f'embeddings-{recipe}'}"
        )
        graph = cache / "model-int8.onnx"
        encoders[recipe] = onnx.OnnxEncoder(graph, tokens, session(graph, args.threads)).encode
    print(f"{len(texts)} distinct texts, {args.threads} intra-op thread(s) each", flush=True)
    vectors = {name: encode(texts) for name, encode in encoders.items()}  # warm-up, and the vectors compared
    sample = list(range(0, len(texts), max(1, len(texts) // 50)))[:50]
    moved = {
        name: float(np.abs(np.stack([encode([texts[i]])[0] for i in sample]) - vectors[name][sample]).max())
        for name, encode in encoders.items()
    }
    seconds: dict[str, list[float]] = {name: [] for name in encoders}
    names = list(encoders)
    for round_ in range(args.rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            start = cpu_seconds()
            encoders[name](texts)
            seconds[name].append(cpu_seconds() - start)
        print(f"round {round_ + 1}: load average {os.getloadavg()[0]:.1f}", flush=True)
    print(
        "| encoder | CPU s per round | raw PyTorch / it | fp32 / it | cosine to fp32, mean / min | moved by its batch |"
    )
    print("|---|---|---|---|---|---|")
    for name in names:
        cosines = (vectors[name] * vectors["fp32"]).sum(axis=1)
        print(
            f"| {name} | {', '.join(f'{s:.2f}' for s in seconds[name])} | "
            f"{sum(seconds['torch']) / sum(seconds[name]):.2f}x | {sum(seconds['fp32']) / sum(seconds[name]):.2f}x | "
            f"{cosines.mean():.4f} / {cosines.min():.4f} | {moved[name]:.1e} |"
        )


if __name__ == "__main__":
    main()

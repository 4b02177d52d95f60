"""The ONNX Runtime encoder: a sentence-transformers model exported once to ONNX (optionally int8), cached, run on CPU.

How the graph is traced, fused and quantised is ``tagllm.retrieval.onnx_graph``; this module caches the export,
checks it against PyTorch's vectors before it is used, and runs it in token-budget batches.

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
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tagllm.cache import shareable
from tagllm.errors import ConfigError
from tagllm.retrieval import onnx_graph, tokenizer

EXPORT_VERSION = 5  # bump when the way a model is exported or quantised changes
QUANTIZATIONS = ("int8", "fp32")
# Tokens per batch (rows x the batch's longest text). Batches of 32 texts ran short titles (median 14 tokens on
# Flipkart) in small matrix products; a token budget runs them some 140 at a time and a long description alone-ish.
# On 1,000 Flipkart texts in one call, interleaved, 3 rounds (2 shared cores, load average ~8), 2,048 tokens encoded
# 1.34x as fast as batches of 32 (1,024: 1.24x; 4,096: 1.11x), with the same vectors.
BATCH_TOKENS = 2048
# What one run of the graph costs besides its tokens, counted in tokens: where a batch is cut (``token_batches``)
# weighs the padding a longer batch adds against a run more. On 2 cores a run of one token took 2-4 ms of CPU
# (some 15 tokens' worth, at ~200 us per token) and a median of 21 ms of wall time at load average 8 (~100 tokens).
BATCH_COST = 128
# Texts the fp32 export is checked on against PyTorch before it is used: short and long, so that a graph whose
# tracing froze a shape would show it; accents, capitals, Chinese and blank text for the saved tokenizer.
PROBES = (
    "cotton shirt",
    "Men's Slim Fit Casual Shirt, 100% cotton, full sleeves, machine wash; ideal for office wear and parties " * 4,
    "女士连衣裙 夏季 新款",
    "  Crème brûlée ÉCRU Ångström naïve  ",
    " ",
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
    """The cache key of a model directory's export: its files, the versions of the tools that export and run it, and
    the int8 recipe (``onnx_graph.RECIPE``), so a graph quantised another way is never loaded."""
    from tagllm.cache import cache_key

    root = Path(model_dir).resolve()
    files = sorted(
        f"{p.relative_to(root)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in root.rglob("*") if p.is_file()
    )
    versions = [f"{p}={_version(p)}" for p in ("torch", "transformers", "sentence-transformers", "onnxruntime", "onnx")]
    return cache_key(str(root), *files, *versions, f"export-{EXPORT_VERSION}", onnx_graph.RECIPE)


def export_dir(model_dir: str | Path) -> Path:
    from tagllm.cache import cache_dir

    return cache_dir() / "onnx" / export_key(model_dir)


def ensure_export(model_dir: str | Path, quantization: str = "int8", *, load_model: Callable[[], Any]) -> Path:
    """The directory holding ``model-fp32.onnx`` (and ``model-int8.onnx`` when ``quantization`` is int8) for the
    model in ``model_dir``, with its tokenizer (``tagllm.retrieval.tokenizer``), exporting what is missing; the int8
    graph is quantised only when asked for (a tenth of a first run on two cores, for a graph the fp32 default never
    reads).

    ``load_model`` gives the SentenceTransformer loaded from ``model_dir``; it is called only when something must be
    exported, so a cached export is used without importing sentence-transformers or torch. Concurrent processes (Ray
    workers, parallel tests) may export at the same time: each writes to its own temporary directory and the first
    rename wins.
    """
    target = export_dir(model_dir)
    wanted = target / f"model-{quantization}.onnx"
    if wanted.exists():
        return target
    model = load_model()
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target.parent)
    if not (target / "model-fp32.onnx").exists():
        work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
        try:
            tokenizer.save(model, work)
            onnx_graph.trace(model, work / "traced.onnx")
            _check_export(model, work / "traced.onnx")
            _fuse_or_keep(model, work / "traced.onnx", work / "model-fp32.onnx")
            (work / "traced.onnx").unlink()
            shareable(work)
            with contextlib.suppress(OSError):  # another process renamed its export there first: keep that one
                os.replace(work, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if quantization == "int8" and not wanted.exists():
        work = Path(tempfile.mkdtemp(prefix=".quantize-", dir=target.parent))
        try:
            onnx_graph.quantize(target / "model-fp32.onnx", work / wanted.name)
            with contextlib.suppress(OSError):
                os.replace(work / wanted.name, wanted)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if not wanted.exists():
        raise ConfigError(f"ONNX export of {model_dir} left no model in {target}")
    return target


STALE_SECONDS = 3600
"""An export's temporary directory untouched this long is a killed process's: an export takes seconds to minutes."""


def sweep_stale(parent: Path) -> None:
    """Remove the temporary directories of exports (and OpenVINO conversions, ``tagllm.retrieval.openvino``) that a
    killed process left (SIGKILL, a power cut: its ``finally`` never ran), a traced graph of a model's size each; one
    in progress in another process is recent, and kept."""
    cutoff = time.time() - STALE_SECONDS
    for work in [*parent.glob(".export-*"), *parent.glob(".quantize-*"), *parent.glob(".openvino-*")]:
        with contextlib.suppress(OSError):
            if work.is_dir() and work.stat().st_mtime < cutoff:
                shutil.rmtree(work, ignore_errors=True)


def _check_export(model: Any, path: Path) -> None:
    """The graph at ``path``, fed by the tokenizer saved beside it, must give the SentenceTransformer's token ids and
    its PyTorch embeddings (to float rounding) on texts of other lengths than the trace's."""
    import torch

    tokens = tokenizer.SentenceTokenizer(path.parent, model.max_seq_length)
    tokenizer.check(model, tokens, PROBES)
    with torch.no_grad():
        expected = model.encode(list(PROBES), convert_to_numpy=True, normalize_embeddings=True)
    got = OnnxEncoder(path, tokens).encode(list(PROBES))
    error = float(np.abs(got - expected).max())
    if error > 1e-3:
        raise ConfigError(f"the ONNX export differs from PyTorch by {error:.4f} on probe texts; it is not used")


def _fuse_or_keep(model: Any, source: Path, target: Path) -> None:
    """``source`` with ONNX Runtime's BERT fusions (attention, embedding + LayerNorm, skip + LayerNorm, bias + GELU)
    saved as ``target``, if the fused graph still gives PyTorch's vectors; else ``source`` itself.

    The fusions are what makes the fp32 graph faster than PyTorch on a CPU (see the module docstring). A model the
    optimizer does not know keeps whatever fused (possibly nothing); one it breaks is caught by the check."""
    try:
        onnx_graph.fuse(model, source, target)
        _check_export(model, target)
    except Exception as exc:  # noqa: BLE001 -- any failure leaves the traced graph, which was checked
        logging.getLogger(__name__).info("ONNX fusion skipped for this model: %s", exc)
        shutil.copyfile(source, target)


def _ort_session(path: str | Path) -> Any:
    import onnxruntime as ort

    ort.disable_telemetry_events()  # a tagging run reports nothing about itself to anyone
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    # ONNX Runtime's threads spin while they wait for work by default: on a machine whose cores are shared they
    # burn the time slices the other processes' threads need. 1,000 Flipkart texts, alternating in one process,
    # 2 rounds (2 cores, load average 7-10): 24.6 and 93.3 s spinning, 15.9 and 20.4 s not; the same vectors. At
    # load average 2 (3 rounds) both took 3.65-3.68 s: nothing lost where the cores are free.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Runs an exported sentence graph with ONNX Runtime on CPU, fed by the tokenizer saved with the export."""

    def __init__(self, path: str | Path, tokens: tokenizer.SentenceTokenizer, session: Any = None) -> None:
        """``session`` runs the graph (``tagllm.retrieval.openvino`` passes OpenVINO's); by default ONNX Runtime's
        for ``path``."""
        self.session = session if session is not None else _ort_session(path)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer = tokens
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        """The embedding width: the graph's output shape when it is fixed there, else a probe text's."""
        if self._dim is None:
            width = self.session.get_outputs()[0].shape[-1]
            self._dim = int(width) if isinstance(width, int) else int(self.encode(["dim"]).shape[1])
        return self._dim

    def encode(self, texts: Sequence[str], *, batch_tokens: int = BATCH_TOKENS) -> np.ndarray:
        """L2-normalised embeddings, one row per text.

        The texts are tokenised in one call, sorted by token count and batched by it: each batch is cut to its
        longest text and holds at most ``batch_tokens`` tokens (at least one text), so short titles go in large
        batches and long descriptions in small ones (see ``BATCH_TOKENS`` and ``token_batches``)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        features = self.tokenizer(texts)
        tokens = {name: features[name] for name in self.inputs}
        lengths = features["attention_mask"].sum(axis=1)
        left = self.tokenizer.padding_side == "left"
        out: np.ndarray | None = None
        for rows in token_batches(lengths, batch_tokens):
            width = max(int(lengths[rows[0]]), 1)
            columns = slice(-width, None) if left else slice(0, width)
            vectors = self.session.run(None, {name: array[rows, columns] for name, array in tokens.items()})[0]
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        assert out is not None
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def token_batches(lengths: np.ndarray, budget: int = BATCH_TOKENS, cost: int = BATCH_COST) -> list[np.ndarray]:
    """Positions of texts of ``lengths`` tokens in batches, longest texts first: each batch is a run of the texts
    sorted by length (longest first), padded to its first, and holds at most ``budget`` tokens (rows x that width;
    at least one text). The cuts minimise the tokens run, padding included, plus ``cost`` per batch.

    Filling each batch up to the budget padded the short titles of a batch to its longest: the fewer texts a call
    has, the farther apart their lengths, and ``tagllm generate`` encodes a file in windows of 256, 512, 1,024 ...
    texts. 3,000 Flipkart products (2,537 distinct texts) in those windows ran 68,542 tokens for 59,170 real ones;
    cut here, 62,205 (one call of them all: 61,571 filled, 60,294 cut here). Dynamic programming over the sorted
    texts: O(texts x rows per batch) in array operations, some 10 ms for 2,537 texts."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    widths = np.maximum(np.asarray(lengths)[order], 1).tolist()
    n = len(widths)
    least = np.full(n + 1, np.inf)  # least[i]: the least cost of the first i sorted texts
    least[0] = 0.0
    starts = np.zeros(n + 1, np.int64)  # starts[i]: where the last batch of that least cost starts
    rows = np.arange(1, max(1, min(budget, n)) + 1, dtype=np.float64)
    cost_of, better = np.empty(len(rows)), np.empty(len(rows), bool)
    for j, width in enumerate(widths):  # a batch starting at j is padded to widths[j]
        m = min(max(1, budget // width), n - j)
        costs = cost_of[:m]
        np.multiply(rows[:m], width, out=costs)
        costs += least[j] + cost
        np.less(costs, least[j + 1 : j + 1 + m], out=better[:m])
        np.copyto(least[j + 1 : j + 1 + m], costs, where=better[:m])
        np.copyto(starts[j + 1 : j + 1 + m], j, where=better[:m])
    batches = []
    end = n
    while end > 0:
        begin = int(starts[end])
        batches.append(order[begin:end])
        end = begin
    return batches[::-1]

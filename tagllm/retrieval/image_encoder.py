"""Image encoders: photos into vectors, batch in, batch out. ``pixels`` needs no weights and is fitted on the
examples' own photos; ``clip`` reads a local CLIP or SigLIP model (sentence-transformers or transformers directory).

Every encoder returns two views of a photo, each a matrix of L2-normalised rows:

- ``colour``: a histogram of the product's pixels in CIELAB, a colour space whose distances follow perceived colour
  differences, with the background (the colour of the photo's border, usually a studio white) left out;
- ``look``: what the product looks like. ``pixels``: histograms of oriented gradients (HOG, the shape of edges) and
  the product's silhouette, standardised and whitened by a PCA fitted on the examples; ``clip``: the model's image
  embedding, which also has a text side for the similarity of a photo to the taxonomy's labels.

The ``pixels`` features themselves are computed in ``tagllm.retrieval.pixel_features``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tagllm.errors import ConfigError, IndexMismatchError, missing_dependency
from tagllm.retrieval import identity
from tagllm.retrieval.pixel_features import COLOUR_BINS, colour_histograms, foreground, gradient_histograms, to_lab
from tagllm.retrieval.runtimes import check_device

PIXELS = "pixels"
NO_IMAGES = "none"
VIEWS = ("look", "colour")
PIXELS_VERSION = 1  # in the index manifest: features computed another way are not comparable
SIDE = 64  # photos are squashed to SIDE x SIDE: catalogue photos come 3:4 or already squashed to 1:1
SILHOUETTE = 16
LOOK_DIMS = 256  # PCA components kept of the look features
FIT_SAMPLE = 20_000  # examples the PCA is fitted on at most


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)).astype(np.float32)


class ImageEncoder:
    """Base: ``prepare`` runs on the loading threads (one decoded photo to what ``embed`` batches); ``embed`` turns a
    batch into raw views, ``project`` turns raw views into the final ones, with what ``fit`` learnt from the
    examples' raw views in between (``encode`` is both). ``decode_size`` is the size photos are decoded at."""

    name: str = "image"
    kind: str = "image"
    decode_size: int | None = None
    has_text: bool = False

    def load_weights(self) -> None:  # noqa: B027 - only encoders with weights
        """Load what encoding needs now (a model's weights), so that a setup mistake is said before any work."""

    def prepare(self, image: Any) -> Any:
        raise NotImplementedError

    def embed(self, prepared: Sequence[Any]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def project(self, raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return raw

    def encode(self, prepared: Sequence[Any]) -> dict[str, np.ndarray]:
        if not prepared:
            return {view: np.zeros((0, dim), np.float32) for view, dim in self.dims().items()}
        return self.project(self.embed(prepared))

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError(f"image encoder {self.name!r} has no text side")

    def dims(self) -> dict[str, int]:
        raise NotImplementedError

    @property
    def needs_fit(self) -> bool:
        return False

    def fit(self, raw: dict[str, np.ndarray]) -> None:  # noqa: B027 - only encoders that learn from the examples
        """Learn what ``project`` needs from the examples' raw views."""

    def save(self, directory: Path) -> None:  # noqa: B027
        """Write what ``fit`` learnt beside the index."""

    def manifest(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "dims": self.dims()}


class PixelEncoder(ImageEncoder):
    """The built-in encoder: colour histograms (no fitting) and a PCA-whitened look (fitted on the examples)."""

    name = PIXELS
    kind = PIXELS
    decode_size = 2 * SIDE

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.components: np.ndarray | None = None  # look features -> whitened PCA coordinates

    def prepare(self, image: Any) -> np.ndarray:
        from PIL import Image

        return np.asarray(image.resize((SIDE, SIDE), Image.Resampling.BILINEAR), dtype=np.uint8)

    def embed(self, prepared: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Colour histograms and the raw look features (HOG and silhouette) of SIDE x SIDE RGB arrays."""
        lab = to_lab(np.stack(prepared))
        mask = foreground(lab)
        n = len(mask)
        cut = SIDE // SILHOUETTE
        silhouette = mask.reshape(n, SILHOUETTE, cut, SILHOUETTE, cut).mean(axis=(2, 4)).reshape(n, -1)
        look = np.hstack([gradient_histograms(lab[..., 0] / 100), silhouette])
        return {"look": look.astype(np.float32), "colour": colour_histograms(lab, mask)}

    @property
    def needs_fit(self) -> bool:
        return self.components is None

    def fit(self, raw: dict[str, np.ndarray]) -> None:
        look = raw["look"]
        if not len(look):
            raise ConfigError("the pixels image encoder needs at least one example photo to fit on")
        look = look[np.random.default_rng(0).permutation(len(look))[:FIT_SAMPLE]]
        mean = look.mean(axis=0, dtype=np.float64)
        scale = look.std(axis=0, dtype=np.float64)
        scale[scale < 1e-6] = 1.0
        z = ((look - mean) / scale).astype(np.float32)
        # the principal axes from the covariance (features x features): a float32 product and one symmetric
        # eigendecomposition, instead of an SVD of the examples x features matrix
        eigenvalues, eigenvectors = np.linalg.eigh((z.T @ z).astype(np.float64) / len(z))
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
        # directions with next to no variance (a handful of look-alike photos) would only whiten noise up
        varies = eigenvalues > 1e-6 * max(eigenvalues.sum(), 1e-12)
        keep = max(1, min(LOOK_DIMS, int(varies.sum())))
        # whitened: each component divided by its standard deviation, so that no single direction (overall
        # brightness, say) dominates the cosine between photos; photos that do not vary at all (one photo, one
        # placeholder for all) leave a component of zeros, not a division by zero
        spread = np.where(varies[:keep], np.sqrt(np.abs(eigenvalues[:keep])), np.inf)
        self.components = (eigenvectors[:, :keep] / spread).astype(np.float32)
        self.mean, self.scale = mean.astype(np.float32), scale.astype(np.float32)

    def project(self, raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.components is None or self.mean is None or self.scale is None:
            raise ConfigError("the pixels image encoder is not fitted: build the index from examples with photos")
        return {"look": _normalise(((raw["look"] - self.mean) / self.scale) @ self.components), "colour": raw["colour"]}

    def dims(self) -> dict[str, int]:
        look = self.components.shape[1] if self.components is not None else LOOK_DIMS
        return {"look": look, "colour": int(np.prod(COLOUR_BINS))}

    def manifest(self) -> dict[str, Any]:
        return {**super().manifest(), "version": PIXELS_VERSION}

    def save(self, directory: Path) -> None:
        assert self.components is not None and self.mean is not None and self.scale is not None
        np.savez(directory / "image_encoder.npz", mean=self.mean, scale=self.scale, components=self.components)

    @classmethod
    def load(cls, directory: Path) -> PixelEncoder:
        path = directory / "image_encoder.npz"
        if not path.exists():
            raise IndexMismatchError(f"{directory}: the index's image encoder ({path.name}) is missing; rebuild it")
        encoder = cls()
        with np.load(path, allow_pickle=False) as data:
            encoder.mean, encoder.scale, encoder.components = data["mean"], data["scale"], data["components"]
        return encoder


class ClipEncoder(ImageEncoder):
    """A pretrained dual encoder from a local directory: a sentence-transformers model (``modules.json``) or a
    transformers CLIP / SigLIP model (``config.json``). Weights are never downloaded."""

    kind = "clip"
    has_text = True

    def __init__(self, path: str, *, device: str | None = None, batch_size: int = 32) -> None:
        self.name = path
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._processor: Any = None
        self._tokenizer: Any = None
        self._sentence_transformer = False
        self._dim: int | None = None
        self._pixels = PixelEncoder()  # the colour view needs no weights and no fitting

    @property
    def decode_size(self) -> int | None:  # type: ignore[override]
        return 512  # above what CLIP/SigLIP processors resize to (224-384)

    def load_weights(self) -> None:
        self._load()

    def _load(self) -> None:
        if self._model is not None:
            return
        path = Path(self.name)
        if not path.is_dir():
            raise ConfigError(
                f"image embedder {self.name!r}: no such directory; give a local CLIP or SigLIP model directory "
                "(sentence-transformers or transformers; weights are never downloaded)"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch  # noqa: F401
            import transformers
            from transformers.utils import logging as hf_logging
        except ImportError:
            raise missing_dependency("transformers", "transformers", "a CLIP image embedder") from None
        check_device(self.device)
        hf_logging.disable_progress_bar()  # a per-load weights bar on stderr is noise in a CLI's output
        if (path / "modules.json").exists():
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(path), device=self.device)
            self._sentence_transformer = True
            return
        config = json.loads((path / "config.json").read_text()) if (path / "config.json").exists() else {}
        if not any(kind in str(config.get("model_type", "")) for kind in ("clip", "siglip")):
            raise ConfigError(
                f"image embedder {self.name!r}: not a CLIP or SigLIP model (config.json model_type is "
                f"{config.get('model_type')!r}; a sentence-transformers directory has modules.json)"
            )
        self._model = transformers.AutoModel.from_pretrained(str(path)).eval()
        if self.device:
            self._model.to(self.device)
        self._processor = transformers.AutoImageProcessor.from_pretrained(str(path))
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(str(path))

    def prepare(self, image: Any) -> Any:
        return image, self._pixels.prepare(image)

    def embed(self, prepared: Sequence[Any]) -> dict[str, np.ndarray]:
        self._load()
        images = [p[0] for p in prepared]
        colour = self._pixels.embed([p[1] for p in prepared])["colour"]
        if self._sentence_transformer:
            look = self._model.encode(images, batch_size=self.batch_size, convert_to_numpy=True)
        else:
            size = self.batch_size
            look = np.vstack([self._features("image", images[s : s + size]) for s in range(0, len(images), size)])
        return {"look": _normalise(np.asarray(look, np.float32)), "colour": colour}

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        self._load()
        if not texts:
            return np.zeros((0, self.dims()["look"]), np.float32)
        if self._sentence_transformer:
            vectors = self._model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True)
        else:
            size = self.batch_size
            vectors = np.vstack([self._features("text", list(texts[s : s + size])) for s in range(0, len(texts), size)])
        return _normalise(np.asarray(vectors, np.float32))

    def _features(self, modality: str, items: list[Any]) -> np.ndarray:
        import torch

        device = next(self._model.parameters()).device
        with torch.inference_mode():
            if modality == "image":
                inputs = self._processor(images=items, return_tensors="pt").to(device)
                out = self._model.get_image_features(**inputs)
            else:
                # SigLIP was trained on texts padded to the maximum length; CLIP ignores padding through its mask
                padding = "max_length" if "siglip" in type(self._model).__name__.lower() else True
                inputs = self._tokenizer(items, padding=padding, truncation=True, return_tensors="pt").to(device)
                out = self._model.get_text_features(**inputs)
        tensor = getattr(out, "pooler_output", out)  # transformers 5 may wrap the features in a model output
        return tensor.float().cpu().numpy()

    def manifest(self) -> dict[str, Any]:
        return {**super().manifest(), "probe": self.probe()}

    def probe(self) -> list[float]:
        """This model's look vector of ``probe_photo``, sketched (``tagllm.retrieval.identity``): another model of the
        same width put in the directory an index's photos were encoded by gives another (``check_recorded``)."""
        return identity.sketch(self.embed([self.prepare(probe_photo())])["look"][0])

    def dims(self) -> dict[str, int]:
        if self._dim is None:
            self._load()
            if self._sentence_transformer:
                get = getattr(self._model, "get_embedding_dimension", None) or (
                    self._model.get_sentence_embedding_dimension
                )
                self._dim = int(get())
            else:
                config = self._model.config
                self._dim = int(getattr(config, "projection_dim", None) or config.text_config.hidden_size)
        return {"look": self._dim, "colour": int(np.prod(COLOUR_BINS))}


def probe_photo() -> Any:
    """A fixed synthetic photo (colour ramps and a square), the same on every machine."""
    from PIL import Image

    y, x = np.mgrid[0:96, 0:96]
    pixels = np.stack([x * 255 // 95, y * 255 // 95, (x + y) * 255 // 190], axis=-1).astype(np.uint8)
    pixels[32:64, 32:64] = (200, 40, 40)
    return Image.fromarray(pixels, "RGB")


def get_image_encoder(name: str | None, *, device: str | None = None) -> ImageEncoder | None:
    """The encoder a setting names: ``pixels``, a model directory, or None / ``none`` for no images."""
    if name is None or name == NO_IMAGES:
        return None
    if name == PIXELS:
        return PixelEncoder()
    return ClipEncoder(name, device=device)


def _shown_dims(dims: dict[str, Any]) -> str:
    return ", ".join(f"{view} {dim}" for view, dim in dims.items())


def load_image_encoder(manifest: dict[str, Any], directory: Path, *, device: str | None = None) -> ImageEncoder:
    """The encoder an index was built with, as its manifest records it."""
    kind = manifest.get("kind")
    if kind == PIXELS:
        if manifest.get("version") != PIXELS_VERSION:
            raise IndexMismatchError(
                f"{directory}: its photos were encoded by pixels features version {manifest.get('version')}, "
                f"this tagllm computes version {PIXELS_VERSION}; rebuild the index"
            )
        encoder = PixelEncoder.load(directory)
        if manifest.get("dims") not in (None, encoder.dims()):  # from another build: its PCA fits other vectors
            raise IndexMismatchError(
                f"{directory}: the index's image encoder (image_encoder.npz) is not the one its photos were encoded "
                f"by (its dimensions: {_shown_dims(encoder.dims())}; the photos': {_shown_dims(manifest['dims'])}); "
                "rebuild the index"
            )
        return encoder
    if kind == "clip":
        return ClipEncoder(str(manifest["name"]), device=device)
    raise IndexMismatchError(f"{directory}: unknown image encoder {manifest!r}; rebuild the index")


def check_recorded(encoder: ImageEncoder, recorded: dict[str, Any], where: str, *, without: str = "") -> None:
    """Refuse the CLIP or SigLIP model directory an index's photos were encoded by (``recorded``: the manifest's
    encoder) once it is gone or holds a model of other dimensions: gone, the run stopped at its first batch with photos
    saying "no such directory" of a path the user never gave; replaced, FAISS crashed on the first photo searched.
    ``without`` says how to go on without photos, where that can be done. The built-in encoder is checked on load."""
    if not isinstance(encoder, ClipEncoder):
        return
    fix = f"put back the model it was built with, or build the index again (tagllm index build){without}"
    if not Path(encoder.name).is_dir():
        raise IndexMismatchError(
            f"{where}: its examples' photos were encoded by the image embedder {encoder.name}, which is not there any "
            f"more; {fix}"
        )
    dims = encoder.dims()
    if recorded.get("dims") not in (None, dims):
        raise IndexMismatchError(
            f"{where}: its examples' photos were encoded by the image embedder {encoder.name} ("
            f"{_shown_dims(recorded['dims'])}), and that directory now holds another model "
            f"({_shown_dims(dims)}); {fix}"
        )
    if recorded.get("probe") and not identity.same_model(recorded["probe"], encoder.probe()):  # none before
        raise IndexMismatchError(
            f"{where}: its examples' photos were encoded by the image embedder {encoder.name}, and that directory now "
            f"holds another model of the same dimensions (its vector of a test photo is not the one recorded); {fix}"
        )

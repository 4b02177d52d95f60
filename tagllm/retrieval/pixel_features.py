"""The features the built-in ``pixels`` image encoder reads off a photo: CIELAB colour, the product's pixels
apart from the background, colour histograms and histograms of oriented gradients (HOG).

Plain numpy over batches of small RGB arrays, kept apart from ``tagllm.retrieval.image_encoder`` (which holds the
encoders, their fitting and their files): image arithmetic with constants of its own, which changes with none of
those (a change here is a new ``PIXELS_VERSION`` there).
"""

from __future__ import annotations

from functools import cache

import numpy as np

BACKGROUND_DELTA_E = 6.0  # a pixel this far (CIELAB distance) from the border colour is the product
MIN_FOREGROUND = 0.03  # below this share of product pixels, the whole photo is read (a white shirt on white)
COLOUR_BINS = (8, 9, 9)  # L, a, b; a and b cut over [-60, 60]
HOG_CELL = 8
HOG_ORIENTATIONS = 9
_LUT_BITS = 6
_XYZ = (
    np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]])
    / np.array([0.95047, 1.0, 1.08883])[:, None]
)  # sRGB (D65) to XYZ, over the white point


@cache
def _lab_table() -> np.ndarray:
    """CIELAB of every colour quantised to _LUT_BITS per channel (sRGB, D65): one gather converts a batch."""
    levels = (np.arange(2**_LUT_BITS) + 0.5) / 2**_LUT_BITS
    linear = np.where(levels <= 0.04045, levels / 12.92, ((levels + 0.055) / 1.055) ** 2.4)
    rgb = np.stack(np.meshgrid(linear, linear, linear, indexing="ij"), -1).reshape(-1, 3)
    xyz = rgb @ _XYZ.T
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    lab = np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], -1)
    return lab.astype(np.float32)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB (..., 3) to CIELAB (..., 3) float32."""
    q = (rgb >> (8 - _LUT_BITS)).astype(np.int32)
    return _lab_table()[(q[..., 0] << (2 * _LUT_BITS)) | (q[..., 1] << _LUT_BITS) | q[..., 2]]


def foreground(lab: np.ndarray) -> np.ndarray:
    """Per photo (n, S, S), 1 where a pixel differs from the border's median colour, else 0; a photo with almost
    no such pixels is read whole."""
    n = len(lab)
    border = np.concatenate(
        [lab[:, :2].reshape(n, -1, 3), lab[:, -2:].reshape(n, -1, 3), lab[:, :, :2].reshape(n, -1, 3),
         lab[:, :, -2:].reshape(n, -1, 3)], axis=1,
    )  # fmt: skip
    background = np.median(border, axis=1)
    distance = np.sqrt(((lab - background[:, None, None]) ** 2).sum(-1))
    mask = (distance > BACKGROUND_DELTA_E).astype(np.float32)
    share = mask.mean(axis=(1, 2))
    mask[share < MIN_FOREGROUND] = 1.0
    return mask


def colour_histograms(lab: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted CIELAB histograms, square-rooted (Hellinger): unit L2 norm, and cosine compares distributions."""
    n = len(lab)
    bl, ba, bb = COLOUR_BINS
    size = bl * ba * bb
    li = np.clip((lab[..., 0] * (bl / 100)).astype(np.int64), 0, bl - 1)
    ai = np.clip(((lab[..., 1] + 60) * (ba / 120)).astype(np.int64), 0, ba - 1)
    bi = np.clip(((lab[..., 2] + 60) * (bb / 120)).astype(np.int64), 0, bb - 1)
    index = (li * ba + ai) * bb + bi + (np.arange(n) * size)[:, None, None]
    counts = np.bincount(index.ravel(), weights=weights.ravel(), minlength=n * size).reshape(n, size)
    return np.sqrt(counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-9)).astype(np.float32)


def gradient_histograms(gray: np.ndarray) -> np.ndarray:
    """HOG: per cell, gradient magnitude by unsigned orientation; each 2x2 block of cells L2-normalised."""
    n, height, width = gray.shape
    gx = np.zeros_like(gray)
    gy = np.zeros_like(gray)
    gx[:, :, 1:-1] = gray[:, :, 2:] - gray[:, :, :-2]
    gy[:, 1:-1, :] = gray[:, 2:, :] - gray[:, :-2, :]
    magnitude = np.hypot(gx, gy)
    orientation = np.minimum(
        (np.mod(np.arctan2(gy, gx), np.pi) * (HOG_ORIENTATIONS / np.pi)).astype(np.int64), HOG_ORIENTATIONS - 1
    )
    cy, cx = height // HOG_CELL, width // HOG_CELL
    cell = (np.arange(height) // HOG_CELL)[:, None] * cx + (np.arange(width) // HOG_CELL)[None, :]
    index = ((np.arange(n) * cy * cx)[:, None, None] + cell[None]) * HOG_ORIENTATIONS + orientation
    hist = np.bincount(index.ravel(), weights=magnitude.ravel(), minlength=n * cy * cx * HOG_ORIENTATIONS)
    hist = hist.reshape(n, cy, cx, HOG_ORIENTATIONS)
    blocks = np.concatenate([hist[:, :-1, :-1], hist[:, 1:, :-1], hist[:, :-1, 1:], hist[:, 1:, 1:]], axis=-1)
    blocks /= np.sqrt((blocks**2).sum(-1, keepdims=True) + 1e-6)
    return blocks.reshape(n, -1).astype(np.float32)

"""Product photos: loading an image reference within limits, decoding it, and what went wrong with each one.

A reference is a local path (relative to the input file's directory, or to ``image_root``), a ``file://`` URL, an
``http(s)://`` URL (fetched only when remote images are allowed), or a ``data:image/...;base64,`` URL. Loading never
raises for a bad image: the problem is recorded on the ``LoadedImage`` and goes into the result's provenance, and
the product is tagged from whatever else it has. Reading the bytes a reference points to is ``tagllm.image_fetch``;
how the decoded pixels are turned upright and into sRGB is ``tagllm.pixels``.
"""

from __future__ import annotations

import base64
import io
import re
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tagllm.errors import ConfigError, missing_dependency
from tagllm.image_fetch import ImageError, ImageFetcher, ImageSkipped, shown
from tagllm.models import ImageUse
from tagllm.pixels import SIXTEEN_BIT, TURNS, exif_orientation, in_srgb, is_transparent, rgb

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
# What chat-completions servers take as a data URL as is; another accepted format is re-encoded as PNG.
DATA_URL_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# Cameras and phones write JPEGs with a Multi-Picture segment (a preview, a depth or gain map after the photo), which
# Pillow names MPO; its first picture, the one Pillow decodes, is the photo any JPEG reader shows.
FORMAT_ALIASES = {"MPO": "JPEG"}
# the major brands of an ISO media file that is a HEIF (HEIC) image: iPhones' photos, which Pillow does not read
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
# file extensions that are not the name Pillow gives their format
EXTENSION_NAMES = {"JPG": "JPEG", "JPE": "JPEG", "TIF": "TIFF"}
# How photos are read, in an index's manifest (none recorded: 1): 2 turns a photo upright as its EXIF orientation says;
# an index of photos read another way holds vectors the products' photos, read this way, are not comparable to.
PHOTO_READING = 2
# References past the first max_images tried, in order, only to replace photos that could not be loaded.
SPARE_TRIES = 3
T = TypeVar("T")


class ImageLimits(BaseModel):
    """Bounds on what loading one image may cost. Over a bound, the image is skipped with the reason recorded."""

    model_config = ConfigDict(extra="forbid")

    max_images: int = Field(1, ge=0, description="photos used per product (the first ones listed that load)")
    max_bytes: int = Field(20 * 1024 * 1024, ge=1, description="largest file or download accepted, in bytes")
    max_pixels: int = Field(40_000_000, ge=1, description="largest width x height decoded")
    timeout: float = Field(10.0, gt=0, description="seconds one download may take, from connecting to its last byte")
    formats: list[str] = Field(default_factory=lambda: list(ACCEPTED_FORMATS), description="Pillow format names")
    llm_max_side: int = Field(1024, ge=32, description="longer side of a photo shown to an LLM (scaled down to it)")
    workers: int = Field(4, ge=1, le=64, description="threads that load and decode images while others encode")

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, value: list[str]) -> list[str]:
        """Pillow's format names; a file extension for one (``jpg``) read as its name: taken as written, ``[jpg,
        png]`` turned every JPEG away, each product's photo an error. A name Pillow reads no format by is refused."""
        formats = [EXTENSION_NAMES.get(f.upper().lstrip("."), f.upper().lstrip(".")) for f in value]
        known = _pillow_formats()
        if known is not None and (unknown := [f for f in value if f.upper().lstrip(".") not in known]):
            raise ValueError(
                f"{', '.join(map(repr, unknown))}: Pillow reads no image format of that name (name formats as Pillow "
                f"does: {', '.join(ACCEPTED_FORMATS)}, TIFF, …; one a Pillow plugin adds needs that plugin installed)"
            )
        return formats


@dataclass
class LoadedImage:
    """One image reference after loading: the decoded RGB image, or the error that stopped it."""

    source: str
    image: Any = None  # PIL.Image.Image in RGB
    data: bytes | None = None  # the original bytes, kept for backends that pass them on
    format: str | None = None
    width: int | None = None  # of the original as shown (turned upright), before any scaling
    height: int | None = None
    # whether a plain reading of the original bytes (Pillow's convert("RGB"), no EXIF turn, as servers read them)
    # gives this image: not for a photo turned upright, a 16-bit one scaled to 8 bits or one with transparency
    as_stored: bool = True
    error: str | None = None
    skipped: bool = False  # not fetched by the settings' choice (see ImageSkipped), not broken

    @property
    def ok(self) -> bool:
        return self.error is None and self.image is not None

    def use(self) -> ImageUse:
        """What the result's provenance records about this image."""
        if self.ok:
            return ImageUse(source=self.source, status="ok", width=self.width, height=self.height)
        return ImageUse(source=self.source, status="skipped" if self.skipped else "error", error=self.error)

    def data_url(self) -> str:
        """The image as a ``data:`` URL: the original bytes when a server takes the format and reads them as this
        image (not scaled down, and ``as_stored``), else a PNG of what was decoded."""
        if self.image is None:
            raise ImageError(f"{self.source}: not loaded")
        mime = DATA_URL_FORMATS.get(self.format or "")
        scaled = self.image.size != (self.width, self.height)
        if self.data is not None and mime is not None and not scaled and self.as_stored:
            raw = self.data
        else:
            buffer = io.BytesIO()
            self.image.save(buffer, format="PNG")
            raw, mime = buffer.getvalue(), "image/png"
        return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def _pillow_formats() -> set[str] | None:
    """The format names Pillow reads, with ``EXTENSION_NAMES`` and ``FORMAT_ALIASES``; None without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return None
    Image.init()
    return {*Image.OPEN, *EXTENSION_NAMES, *FORMAT_ALIASES}


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise missing_dependency("pillow", "images", "reading product images") from None
    # Pillow warns in open() about images over MAX_IMAGE_PIXELS (89M), before ImageLimits.max_pixels is checked:
    # max_pixels is the limit that governs (an image over it is an error record, one under it was allowed by the
    # user), so the warning would only put a raw line on the terminal. Installed per call: a caller's
    # warnings.catch_warnings() block restores the filters when it ends.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    return Image


class ImageLoader(ImageFetcher):
    """Loads image references within ``limits``, on a thread pool so decoding overlaps the caller's encoding.

    ``root`` is the directory relative paths are taken from (the input file's directory); ``allow_remote`` must be
    set for http(s) URLs to be fetched: a tagging run never follows a URL unless the user asked for it. Reading a
    reference's bytes is ``tagllm.image_fetch``'s ``ImageFetcher``; decoding them is this class's.
    """

    def __init__(
        self,
        limits: ImageLimits | None = None,
        *,
        allow_remote: bool = False,
        root: str | Path | None = None,
        urlopen: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(limits or ImageLimits(), allow_remote=allow_remote, root=root, urlopen=urlopen)

    # -- one image -------------------------------------------------------------------------------------------------
    def load(self, source: str, *, size: int | None = None, keep_bytes: bool = False) -> LoadedImage:
        """Fetch and decode one reference; never raises for a bad image.

        ``size``: the decoded image is scaled down so that its longer side is at most ``size`` (JPEGs are then
        decoded at a reduced scale directly, several times faster); ``keep_bytes`` keeps the original bytes."""
        try:
            data = self.fetch(source)
            return self.decode(source, data, size=size, keep_bytes=keep_bytes)
        except ImageError as exc:
            return LoadedImage(source=source, error=str(exc), skipped=isinstance(exc, ImageSkipped))

    def decode(self, source: str, data: bytes, *, size: int | None = None, keep_bytes: bool = False) -> LoadedImage:
        """Decode bytes into an RGB image (transparency over white), checking format and pixel count first."""
        image_module = _pil()
        try:
            with image_module.open(io.BytesIO(data)) as opened:
                fmt = FORMAT_ALIASES.get(opened.format, opened.format) or "?"
                if fmt not in self.limits.formats:
                    raise ImageError(
                        f"{shown(source)}: {fmt} images are not accepted (image_limits.formats: "
                        f"{', '.join(self.limits.formats)})"
                    )
                width, height = opened.size
                if width * height > self.limits.max_pixels:
                    raise ImageError(
                        f"{shown(source)}: {width}x{height} pixels is over the limit of {self.limits.max_pixels:,} "
                        "(image_limits.max_pixels)"
                    )
                if size is not None and fmt == "JPEG":
                    opened.draft("RGB", (size, size))  # DCT scaling: decodes at 1/2, 1/4 or 1/8 of full size
                opened.load()
                srgb = in_srgb(opened)
                as_stored = srgb is None and opened.mode not in SIXTEEN_BIT and not is_transparent(opened)
                image = rgb(srgb if srgb is not None else opened, image_module)
                orientation = exif_orientation(opened)
                if orientation in TURNS:
                    image = image.transpose(image_module.Transpose[TURNS[orientation]])
                if orientation >= 5:  # turned a quarter: its sides swap
                    width, height = height, width
        except ImageError:
            raise
        except image_module.DecompressionBombError as exc:
            raise ImageError(f"{shown(source)}: {self._over_bomb_guard(exc, image_module)}") from None
        except image_module.UnidentifiedImageError:
            if not data:  # "not an image file" sent the user to look at the format of a file that holds nothing
                raise ImageError(f"{shown(source)}: empty file (0 bytes)") from None
            if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:  # "not an image file" of an iPhone's photo misled
                raise ImageError(
                    f"{shown(source)}: a HEIC photo (as iPhones save them), a format Pillow does not read: convert it "
                    "to JPEG"
                ) from None
            raise ImageError(f"{shown(source)}: not an image file (no format Pillow reads)") from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageError(f"{shown(source)}: broken image ({exc})") from None
        if size is not None and max(image.size) > size:
            image.thumbnail((size, size), image_module.Resampling.BILINEAR, reducing_gap=2.0)
        return LoadedImage(
            source=source,
            image=image,
            data=data if keep_bytes else None,
            format=fmt,
            width=width,
            height=height,
            as_stored=as_stored and orientation not in TURNS,
        )

    def _over_bomb_guard(self, exc: Exception, image_module: Any) -> str:
        """Why Pillow refused an image in ``open``, before its size could be checked against ``max_pixels``: in
        this module's own terms when ``max_pixels`` is lower than Pillow's guard, else naming Pillow's guard, which
        no ``max_pixels`` can raise."""
        found = re.search(r"\((\d+) pixels\)", str(exc))
        if found is None:
            return f"over the pixel limit ({exc})"
        pixels, guard = int(found[1]), 2 * (image_module.MAX_IMAGE_PIXELS or 0)
        if self.limits.max_pixels < pixels:
            return f"{pixels:,} pixels is over the limit of {self.limits.max_pixels:,} (image_limits.max_pixels)"
        return (
            f"{pixels:,} pixels is over Pillow's limit of {guard:,} (PIL.Image.MAX_IMAGE_PIXELS x 2), which "
            "image_limits.max_pixels cannot raise"
        )

    # -- many products -------------------------------------------------------------------------------------------
    def map(
        self,
        references: Sequence[Sequence[str]],
        transform: Callable[[LoadedImage], T],
        *,
        size: int | None = None,
        keep_bytes: bool = False,
    ) -> Iterator[list[T]]:
        """For each product, ``transform`` of each image tried, in order: its references are loaded in the order
        listed until ``max_images`` of them load, so a broken first photo is replaced by the next one listed (at
        most ``SPARE_TRIES`` spares: each may cost a download's timeout). Loading and ``transform`` run on the pool,
        up to a bounded number of products ahead of the consumer, so whatever the caller does with one product's
        images overlaps the loading of the next ones."""
        limit = self.limits.max_images
        jobs = [list(refs[: limit + SPARE_TRIES]) if limit else [] for refs in references]
        if not any(jobs):
            yield from ([] for _ in jobs)
            return

        def work(refs: list[str]) -> list[T]:
            out: list[T] = []
            loaded = 0
            for source in refs:
                if loaded == limit:
                    break
                image = self.load(source, size=size, keep_bytes=keep_bytes)
                loaded += image.ok
                out.append(transform(image))
            return out

        ahead = max(4 * self.limits.workers, 16)
        with ThreadPoolExecutor(max_workers=self.limits.workers, thread_name_prefix="tagllm-images") as pool:
            pending: deque[Future[list[T]]] = deque()
            for refs in jobs:
                if len(pending) >= ahead:
                    yield pending.popleft().result()
                pending.append(pool.submit(work, refs))
            while pending:
                yield pending.popleft().result()


def image_root(value: str | Path) -> Path:
    """``image_root`` as the directory relative photo paths start from; a ``ConfigError`` when it is none: every
    product's photos would be missing files, each product tagged from its text alone (an index built of texts
    alone), and the mistake said only once the run was over."""
    root = Path(value).expanduser()
    if not root.is_dir():
        why = "is a file, not a directory" if root.exists() else "no such directory"
        raise ConfigError(
            f"image_root (--image-root) {value}: {why}; give the directory relative photo paths start from, or leave "
            "it unset to start them beside the input file"
        )
    return root

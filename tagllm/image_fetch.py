"""Reading the bytes an image reference points to, within the byte and time limits, before any decoding.

A reference is a local path (relative to the input file's directory, or to ``image_root``; written with Windows
backslashes; or from the root of a catalogue's media), a ``file://`` URL, an ``http(s)://`` URL (fetched only when
remote images are allowed), or a ``data:image/...;base64,`` URL. What goes wrong is an ``ImageError`` naming the
reference; ``tagllm.images.ImageLoader`` records it on the image instead of raising, and decodes what was read.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.errors import os_reason
from tagllm.image_refs import PROTOCOL_RELATIVE

if TYPE_CHECKING:
    from tagllm.images import ImageLimits

REMOTE_SCHEMES = ("http", "https")
_READ_CHUNK = 1 << 16


class ImageError(Exception):
    """Why one image could not be used (the message names the reference)."""


class ImageSkipped(ImageError):
    """An image not fetched by the settings' choice (a remote URL without ``allow_remote``): not a failure of the
    photo, and tagging it again under the same settings would skip it again."""


class ImageFetcher:
    """Reads image references within ``limits`` (its ``max_bytes`` and ``timeout``).

    ``root`` is the directory relative paths are taken from (the input file's directory); ``allow_remote`` must be
    set for http(s) URLs to be fetched: a tagging run never follows a URL unless the user asked for it.
    """

    def __init__(
        self,
        limits: ImageLimits,
        *,
        allow_remote: bool = False,
        root: str | Path | None = None,
        urlopen: Callable[..., Any] | None = None,
    ) -> None:
        self.limits = limits
        self.allow_remote = allow_remote
        self.root = Path(root) if root is not None else None
        self._urlopen = urlopen or urllib.request.urlopen

    def fetch(self, source: str) -> bytes:
        """The bytes a reference points to, within the byte and time limits."""
        source = source.strip()
        if not source:
            raise ImageError("an empty image reference")
        if PROTOCOL_RELATIVE.match(source) and not Path(source).exists():
            source = "https:" + source  # a URL as an HTML page on https reads it (no local file has that path)
        try:
            scheme = urllib.parse.urlsplit(source).scheme.lower()
        except ValueError as exc:
            raise ImageError(f"{shown(source)}: not a valid URL ({exc})") from None
        if scheme in REMOTE_SCHEMES:
            if not self.allow_remote:
                raise ImageSkipped(f"{shown(source)}: remote image not fetched; allow it with --allow-remote-images")
            return self._download(source)
        if scheme == "data":
            return self._data_url(source)
        return self._read_file(source, self._file_of(source, scheme))

    def local_file(self, source: str) -> Path | None:
        """The file on this machine a reference reads (None for a URL or a data: URL), as ``fetch`` finds it."""
        source = source.strip()
        try:
            scheme = urllib.parse.urlsplit(source).scheme.lower()
            return self._file_of(source, scheme) if source and scheme not in (*REMOTE_SCHEMES, "data") else None
        except (ValueError, ImageError):
            return None

    def _file_of(self, source: str, scheme: str) -> Path:
        if scheme == "file":
            return self._beside_root(Path(urllib.request.url2pathname(urllib.parse.urlsplit(source).path)))
        if len(scheme) > 1:  # 'c:' of a Windows path is a drive, not a scheme
            raise ImageError(
                f"{shown(source)}: unsupported URL scheme {scheme!r} (use a path, file://, http(s):// or data:)"
            )
        return self._local_path(source)

    def _local_path(self, source: str) -> Path:
        path = self._beside_root(Path(source).expanduser())
        if path.exists():
            return path
        if "\\" in source:
            # written on Windows (photos\red.jpg): its backslashes are separators, on Linux a file name's letters
            windows = self._beside_root(Path(source.replace("\\", "/")).expanduser())
            if windows.exists():
                return windows
        if source.startswith("/") and self.root is not None:
            # from the root of the catalogue's media, not of the disk: Magento's export (/m/b/mb01-blue-0.jpg, under
            # pub/media/catalog/product), a web page's /images/front.jpg
            under_root = self.root / source.lstrip("/")
            if under_root.exists():
                return under_root
        return path

    def _beside_root(self, path: Path) -> Path:
        return self.root / path if not path.is_absolute() and self.root is not None else path

    def _read_file(self, source: str, path: Path) -> bytes:
        if "\0" in str(path):  # the OS takes no such path; stat() would raise ValueError, not OSError
            raise ImageError(f"{shown(source)}: not a file path (it holds a NUL character)")
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            if path.is_symlink():  # listed by ls, and said to be no such file: the file it points to is gone
                target = shown(str(path.readlink()))
                raise ImageError(
                    f"{shown(source)}: a link to {target}, which does not exist ({shown(str(path))})"
                ) from None
            raise ImageError(f"{shown(source)}: no such file ({shown(str(path))})") from None
        except OSError as exc:
            raise ImageError(f"{shown(source)}: cannot read {shown(str(path))} ({os_reason(exc)})") from None
        if not path.is_file():
            raise ImageError(f"{shown(source)}: not a file ({shown(str(path))})")
        self._check_bytes(source, size)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ImageError(f"{shown(source)}: cannot read {shown(str(path))} ({os_reason(exc)})") from None

    def _download(self, url: str) -> bytes:
        deadline = time.monotonic() + self.limits.timeout
        try:
            request = urllib.request.Request(_quoted(url), headers={"User-Agent": "tagllm", "Accept": "image/*"})
            with self._urlopen(request, timeout=self.limits.timeout) as response:
                length = response.headers.get("Content-Length")
                if length and length.isdigit():
                    self._check_bytes(url, int(length))
                # read1: what has arrived, at most one wait on the socket; read waits for a whole chunk, and a
                # server trickling bytes (a throttled CDN) held one download many times past the timeout
                read = getattr(response, "read1", response.read)
                chunks: list[bytes] = []
                total = 0
                while chunk := read(_READ_CHUNK):
                    total += len(chunk)
                    self._check_bytes(url, total)
                    if time.monotonic() > deadline:
                        raise ImageError(f"{shown(url)}: download not finished within {self.limits.timeout:g}s")
                    chunks.append(chunk)
                return b"".join(chunks)
        except urllib.error.HTTPError as exc:
            raise ImageError(f"{shown(url)}: HTTP {exc.code} {exc.reason}") from None
        except TimeoutError:
            raise ImageError(f"{shown(url)}: no answer within {self.limits.timeout:g}s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise ImageError(f"{shown(url)}: no answer within {self.limits.timeout:g}s") from None
            raise ImageError(f"{shown(url)}: cannot fetch ({reason})") from None
        # ValueError and HTTPException are not OSErrors: a space in the host, a broken chunked body
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise ImageError(f"{shown(url)}: cannot fetch ({type(exc).__name__}: {exc})") from None

    def _data_url(self, source: str) -> bytes:
        head, _, payload = source.partition(",")
        if not head.endswith(";base64"):
            raise ImageError(f"{shown(source)}: a data URL needs ';base64,' before the image data")
        # base64(1), openssl and Python's encodebytes wrap the data at 64 or 76 characters; browsers read it whole
        payload = "".join(payload.split())
        self._check_bytes(source, len(payload) * 3 // 4)
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise ImageError(f"{shown(source)}: the data URL's base64 is broken") from None

    def _check_bytes(self, source: str, size: int) -> None:
        if size > self.limits.max_bytes:
            raise ImageError(
                f"{shown(source)}: {size:,} bytes is over the limit of {self.limits.max_bytes:,} "
                "(image_limits.max_bytes)"
            )


def shown(reference: str, limit: int = 160) -> str:
    """A reference as an error message shows it: whole when short, else its start and end (a data URL or a
    generated path of thousands of characters would bury the reason that follows it)."""
    if len(reference) <= limit:
        return reference
    return f"{reference[: limit - 50]}…{reference[-49:]}"


def _quoted(url: str) -> str:
    """The URL with spaces, control characters and other scripts in its path and query percent-encoded, as a browser
    sends them (http.client refuses them raw); what is already percent-encoded stays as it is."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc if parts.netloc.isascii() else parts.netloc.encode("idna").decode("ascii")
    path = urllib.parse.quote(parts.path, safe="/%:@!$&'()*+,;=~")
    query = urllib.parse.quote(parts.query, safe="/%:@!$&'()*+,;=?~")
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, query, ""))

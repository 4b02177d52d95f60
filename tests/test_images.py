"""Loading product photos: paths relative to the input, URLs only when allowed, limits, and errors instead of losses."""

from __future__ import annotations

import base64
import contextlib
import io
import struct
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tagllm.images import ImageLimits, ImageLoader


def _png(
    path: Path, size: tuple[int, int] = (40, 30), colour: tuple[int, ...] = (200, 30, 30), mode: str = "RGB"
) -> Path:
    Image.new(mode, size, colour).save(path, format="PNG")
    return path


def _forged_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width x height (nothing else is in it): what a decompression bomb looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    return path


def test_relative_paths_are_taken_from_the_root_and_file_urls_work(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    _png(tmp_path / "img" / "a.png")
    loader = ImageLoader(root=tmp_path)
    for source in ("img/a.png", str(tmp_path / "img" / "a.png"), (tmp_path / "img" / "a.png").as_uri()):
        loaded = loader.load(source)
        assert loaded.ok, loaded.error
        assert (loaded.width, loaded.height, loaded.format) == (40, 30, "PNG")
        assert loaded.image.getpixel((0, 0)) == (200, 30, 30)
        assert loaded.use().model_dump(exclude_none=True) == {
            "source": source,
            "status": "ok",
            "width": 40,
            "height": 30,
        }


def test_bad_images_are_recorded_not_raised(tmp_path: Path) -> None:
    jpeg = tmp_path / "whole.jpg"
    Image.new("RGB", (64, 64), (10, 200, 10)).save(jpeg, quality=90)
    (tmp_path / "truncated.jpg").write_bytes(jpeg.read_bytes()[: jpeg.stat().st_size // 2])
    (tmp_path / "notes.jpg").write_text("this is not a photo")
    (tmp_path / "huge.png").write_bytes(b"\0" * 2048)
    _forged_png(tmp_path / "wide.png", 7000, 7000)
    _forged_png(tmp_path / "bomb.png", 30000, 30000)
    Image.new("RGB", (8, 8)).save(tmp_path / "scan.tiff")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "moved.jpg").symlink_to("shoots/2023/moved.jpg")  # a link whose file was moved away
    loader = ImageLoader(ImageLimits(max_bytes=1024), root=tmp_path)
    errors = {name: loader.load(name).error for name in (
        "missing.jpg", "truncated.jpg", "notes.jpg", "huge.png", "scan.tiff", "folder.png", "ftp://host/x.jpg",
        "moved.jpg",
    )}  # fmt: skip
    assert errors == {
        "missing.jpg": f"missing.jpg: no such file ({tmp_path / 'missing.jpg'})",
        "moved.jpg": f"moved.jpg: a link to shoots/2023/moved.jpg, which does not exist ({tmp_path / 'moved.jpg'})",
        "truncated.jpg": "truncated.jpg: broken image (Truncated File Read)",
        "notes.jpg": "notes.jpg: not an image file (no format Pillow reads)",
        "huge.png": "huge.png: 2,048 bytes is over the limit of 1,024 (image_limits.max_bytes)",
        "scan.tiff": "scan.tiff: TIFF images are not accepted (image_limits.formats: JPEG, PNG, WEBP, GIF, BMP)",
        "folder.png": f"folder.png: not a file ({tmp_path / 'folder.png'})",
        "ftp://host/x.jpg": "ftp://host/x.jpg: unsupported URL scheme 'ftp' (use a path, file://, http(s):// or data:)",
    }
    default = ImageLoader(root=tmp_path)
    assert default.load("wide.png").error == (
        "wide.png: 7000x7000 pixels is over the limit of 40,000,000 (image_limits.max_pixels)"
    )
    assert default.load("missing.jpg").use().model_dump(exclude_none=True) == {
        "source": "missing.jpg", "status": "error", "error": f"missing.jpg: no such file ({tmp_path / 'missing.jpg'})",
    }  # fmt: skip


def test_an_image_pillow_refuses_as_a_bomb_is_named_by_the_limit_it_is_over(tmp_path: Path) -> None:
    """Pillow refuses images over twice its MAX_IMAGE_PIXELS in open(), before max_pixels is checked: the error
    named Pillow's limit of 178,956,970, a number a user finds nowhere in tagllm's settings, and a max_pixels raised
    above it was silently not honoured."""
    _forged_png(tmp_path / "bomb.png", 30000, 30000)
    assert ImageLoader(root=tmp_path).load("bomb.png").error == (
        "bomb.png: 900,000,000 pixels is over the limit of 40,000,000 (image_limits.max_pixels)"
    )
    guard = 2 * Image.MAX_IMAGE_PIXELS
    assert ImageLoader(ImageLimits(max_pixels=10**12), root=tmp_path).load("bomb.png").error == (
        f"bomb.png: 900,000,000 pixels is over Pillow's limit of {guard:,} (PIL.Image.MAX_IMAGE_PIXELS x 2), "
        "which image_limits.max_pixels cannot raise"
    )


def test_an_image_over_pillows_warning_size_says_nothing_on_stderr(tmp_path: Path) -> None:
    """Between MAX_IMAGE_PIXELS and twice that, Pillow's open() warns (DecompressionBombWarning) before max_pixels
    is checked: a raw warning on the user's terminal for an image the loader then refuses, or decodes because the
    user's own max_pixels allows it. max_pixels is the limit that governs; the warning is not shown."""
    _forged_png(tmp_path / "big.png", 10000, 10000)  # 100,000,000 pixels: over 89,478,485, under 178,956,970
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        assert ImageLoader(root=tmp_path).load("big.png").error == (
            "big.png: 10000x10000 pixels is over the limit of 40,000,000 (image_limits.max_pixels)"
        )
        raised = ImageLoader(ImageLimits(max_pixels=10**9), root=tmp_path).load("big.png").error
    assert [w.category.__name__ for w in shown] == []
    assert raised is not None and raised.startswith("big.png: broken image")  # a header and nothing else


def test_transparency_becomes_white_and_size_scales_down(tmp_path: Path) -> None:
    _png(tmp_path / "cut.png", (300, 200), (0, 0, 255, 0), mode="RGBA")
    loaded = ImageLoader(root=tmp_path).load("cut.png", size=60)
    assert loaded.image.mode == "RGB" and loaded.image.size == (60, 40)
    assert loaded.image.getpixel((5, 5)) == (255, 255, 255)
    assert (loaded.width, loaded.height) == (300, 200)  # the original's size is what provenance records


def test_data_urls_keep_the_original_bytes_unless_scaled(tmp_path: Path) -> None:
    raw = _png(tmp_path / "a.png").read_bytes()
    url = "data:image/png;base64," + base64.b64encode(raw).decode()
    loaded = ImageLoader().load(url, keep_bytes=True)
    assert loaded.ok and loaded.data_url() == url
    Image.new("RGB", (8, 8)).save(tmp_path / "b.bmp")
    bmp = ImageLoader(root=tmp_path).load("b.bmp", keep_bytes=True)
    assert bmp.data_url().startswith("data:image/png;base64,")  # BMP is not a format servers take: re-encoded
    assert (
        ImageLoader().load("data:image/png,abc").error
        == "data:image/png,abc: a data URL needs ';base64,' before the image data"
    )


def test_a_data_url_whose_base64_is_wrapped_over_lines_is_read(tmp_path: Path) -> None:
    """base64(1) and Python's encodebytes wrap at 76 characters, as browsers read it: such a data URL was refused
    "the data URL's base64 is broken" and the product tagged from its text alone."""
    raw = _png(tmp_path / "a.png").read_bytes()
    wrapped = ImageLoader().load("data:image/png;base64," + base64.encodebytes(raw).decode())
    assert wrapped.ok, wrapped.error
    plain = ImageLoader().load("data:image/png;base64," + base64.b64encode(raw).decode())
    assert wrapped.image.tobytes() == plain.image.tobytes()


def test_an_error_shows_a_long_reference_by_its_start_and_end_once(tmp_path: Path) -> None:
    deep = "/".join(["generated-folder"] * 200) + "/front.jpg"  # about 3,400 characters, under PATH_MAX
    error = ImageLoader(root=tmp_path).load(deep).error
    assert error is not None and len(error) < 500
    assert "generated-folder/generated" in error and error.split(":")[0].endswith("front.jpg")
    assert "no such file" in error
    broken = "data:image/png;base64," + "A" * 20_000  # decodes, but to no image
    error = ImageLoader().load(broken).error
    assert error is not None and len(error) < 300 and "not an image file" in error


class _Handler(BaseHTTPRequestHandler):
    image = b""
    paths: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
        self.paths.append(self.path)
        if self.path == "/slow.png":
            time.sleep(2)
        if self.path == "/missing.png":
            self.send_error(404, "Not Found")
            return
        body = self.image * (50 if self.path == "/big.png" else 1)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if self.path == "/trickled.png":  # a throttled CDN: 2 KB every 0.1 s, 20 KB/s
            self.send_header("Content-Length", str(200 * 2048))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for _ in range(200):
                    self.wfile.write(b"\0" * 2048)
                    self.wfile.flush()
                    time.sleep(0.1)
            return
        if self.path == "/garbled.png":  # a chunked body whose chunk size is not a number
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"zz\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a limit)
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    _Handler.image = _png(tmp_path / "served.png").read_bytes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_remote_images_are_fetched_only_when_allowed_and_within_limits(server: str) -> None:
    url = f"{server}/ok.png"
    assert ImageLoader().load(url).error == f"{url}: remote image not fetched; allow it with --allow-remote-images"
    loader = ImageLoader(ImageLimits(max_bytes=1000, timeout=0.5), allow_remote=True)
    assert loader.load(url).ok
    size = len(_Handler.image) * 50
    assert loader.load(f"{server}/big.png").error == (
        f"{server}/big.png: {size:,} bytes is over the limit of 1,000 (image_limits.max_bytes)"
    )
    assert loader.load(f"{server}/missing.png").error == f"{server}/missing.png: HTTP 404 Not Found"
    assert loader.load(f"{server}/slow.png").error == f"{server}/slow.png: no answer within 0.5s"


def test_a_download_trickled_slowly_stops_at_the_timeout(server: str) -> None:
    """The timeout bounds a download from connecting to its last byte: it was checked only after each 64 KB read,
    which waited for the whole 64 KB, so a server sending 20 KB/s held a 0.5 s download 3.2 s (a throttled CDN at
    1 KB/s: a minute per read, a worker thread stalled)."""
    loader = ImageLoader(ImageLimits(timeout=0.5), allow_remote=True)
    started = time.monotonic()
    error = loader.load(f"{server}/trickled.png").error
    assert time.monotonic() - started < 1.2
    assert error == f"{server}/trickled.png: download not finished within 0.5s"


def test_urls_with_spaces_or_other_scripts_are_fetched_and_broken_ones_recorded(server: str) -> None:
    """http.client refuses a space or a non-ASCII letter in a URL with a ValueError, which crashed the whole batch;
    catalogues write such URLs, so they are percent-encoded as a browser does."""
    loader = ImageLoader(allow_remote=True)
    _Handler.paths.clear()
    assert loader.load(f"{server}/my photo.png").ok
    assert loader.load(f"{server}/连衣裙.png?size=large&q=a b").ok
    assert _Handler.paths == ["/my%20photo.png", "/%E8%BF%9E%E8%A1%A3%E8%A3%99.png?size=large&q=a%20b"]
    assert loader.load("http://[::1/x.png").error == "http://[::1/x.png: not a valid URL (Invalid IPv6 URL)"
    assert loader.load("http://ex ample.com/x.png").error == (
        "http://ex ample.com/x.png: cannot fetch (InvalidURL: URL can't contain control characters. 'ex ample.com' "
        "(found at least ' '))"
    )
    assert loader.load(f"{server}/garbled.png").error == (
        f"{server}/garbled.png: cannot fetch (IncompleteRead: IncompleteRead(0 bytes read))"
    )


def test_map_keeps_product_order_and_cuts_to_max_images(tmp_path: Path) -> None:
    for i in range(5):
        _png(tmp_path / f"{i}.png", (10 + i, 10))
    loader = ImageLoader(ImageLimits(max_images=2, workers=3), root=tmp_path)
    refs = [["0.png", "1.png", "2.png"], [], ["missing.png", "3.png"], ["4.png"]]
    sizes = list(loader.map(refs, lambda im: im.width if im.ok else im.error))
    assert sizes == [[10, 11], [], [f"missing.png: no such file ({tmp_path / 'missing.png'})", 13], [14]]


def test_a_photo_that_cannot_be_loaded_is_replaced_by_the_next_one_listed(tmp_path: Path) -> None:
    """With max_images 1, a product whose first photo was missing or broken was read from its text alone, though
    its second photo was fine (catalogues list several; a dead first link is common)."""
    for i in range(3):
        _png(tmp_path / f"{i}.png", (10 + i, 10))
    (tmp_path / "broken.png").write_bytes(b"not a photo")
    loader = ImageLoader(ImageLimits(max_images=1, workers=2), root=tmp_path)
    refs = [["gone.png", "broken.png", "1.png", "2.png"], ["0.png", "1.png"], [f"gone{i}.png" for i in range(9)]]
    tried = list(loader.map(refs, lambda im: im.width if im.ok else im.source))
    # the spares are tried in order until one loads, at most SPARE_TRIES (3) of them
    assert tried == [["gone.png", "broken.png", 11], [10], ["gone0.png", "gone1.png", "gone2.png", "gone3.png"]]


def test_a_16_bit_greyscale_png_is_scaled_to_8_bits_not_clipped_to_white(tmp_path: Path) -> None:
    """Pillow converts a 16-bit greyscale PNG (mode I;16) to RGB by clipping: every grey over level 255 of 65535
    came out white, and the photo's colours said 'white' for a dark grey shirt."""
    import numpy as np

    Image.fromarray(np.array([[0, 16384, 32768, 65535]], np.uint16)).save(tmp_path / "grey16.png")
    loaded = ImageLoader(root=tmp_path).load("grey16.png")
    assert loaded.ok and loaded.image.mode == "RGB"
    greys = [loaded.image.getpixel((x, 0)) for x in range(4)]
    assert greys == [(0, 0, 0), (63, 63, 63), (127, 127, 127), (255, 255, 255)]


def test_references_no_file_can_have_are_recorded_not_raised(tmp_path: Path) -> None:
    """A NUL byte (from a broken export) raised ValueError out of the loader and crashed the whole batch."""
    loader = ImageLoader(root=tmp_path)
    errors = {source: loader.load(source).error for source in ("a\0b.jpg", "file:///tmp/a%00b.jpg", "", "  ")}
    assert errors == {
        "a\0b.jpg": "a\0b.jpg: not a file path (it holds a NUL character)",
        "file:///tmp/a%00b.jpg": "file:///tmp/a%00b.jpg: not a file path (it holds a NUL character)",
        "": "an empty image reference",
        "  ": "an empty image reference",
    }


def test_a_camera_jpeg_that_holds_a_second_picture_is_read_as_the_jpeg_it_is(tmp_path: Path) -> None:
    """Cameras and phones write JPEGs with a Multi-Picture segment (a preview, a depth or gain map after the photo),
    which Pillow names MPO: every such photo was refused as 'MPO images are not accepted' and its product tagged
    from the text alone, although any JPEG reader shows the photo."""
    photo = Image.new("RGB", (300, 200), (200, 30, 40))
    photo.save(tmp_path / "camera.jpg", format="MPO", save_all=True, append_images=[photo.resize((150, 100))])
    assert Image.open(tmp_path / "camera.jpg").format == "MPO"
    loaded = ImageLoader(root=tmp_path).load("camera.jpg", size=100, keep_bytes=True)
    assert loaded.error is None
    assert (loaded.format, loaded.width, loaded.height, loaded.image.size) == ("JPEG", 300, 200, (100, 67))
    assert loaded.data_url().startswith("data:image/png;base64,")  # scaled down: what was decoded is sent
    whole = ImageLoader(root=tmp_path).load("camera.jpg", keep_bytes=True)
    assert whole.data_url().startswith("data:image/jpeg;base64,")  # the file's own bytes, a JPEG to any server


def test_a_photo_is_turned_as_its_exif_orientation_says(tmp_path: Path) -> None:
    """A phone stores a photo as its sensor saw it and says in EXIF how to turn it: every viewer shows it upright.
    The loader ignored that tag, so the photo was encoded lying on its side (a dress read as a T-shirt by its
    silhouette) and an LLM was shown it so."""
    stored = Image.new("RGB", (300, 100), (200, 30, 40))
    stored.paste((30, 60, 190), (0, 0, 100, 100))  # blue on the stored left: the top once turned
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to show
    stored.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    loaded = ImageLoader(root=tmp_path).load("phone.jpg", keep_bytes=True)
    assert loaded.ok and loaded.image.size == (100, 300)
    assert (loaded.width, loaded.height) == (100, 300)  # provenance records the photo as shown
    assert _near(loaded.image.getpixel((50, 20)), (30, 60, 190))  # blue at the top
    assert _near(loaded.image.getpixel((50, 250)), (200, 30, 40))
    # its bytes say "turn me", which not every server does: what was decoded is sent
    assert loaded.data_url().startswith("data:image/png;base64,")
    scaled = ImageLoader(root=tmp_path).load("phone.jpg", size=60)
    assert scaled.image.size == (20, 60) and (scaled.width, scaled.height) == (100, 300)
    upright = tmp_path / "upright.jpg"
    stored.save(upright, quality=95)
    assert ImageLoader(root=tmp_path).load("upright.jpg", keep_bytes=True).data_url().startswith("data:image/jpeg")


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(pixel, colour, strict=True))


@pytest.mark.parametrize("kind", ["grey16", "transparent"])
def test_a_server_is_sent_the_photo_as_decoded_not_bytes_its_plain_reading_would_change(
    kind: str, tmp_path: Path
) -> None:
    """The loader reads a 16-bit greyscale PNG's levels to 8 bits and puts transparent pixels on white, but the
    openai backend sent such a file's own bytes, which a server reads with Pillow's plain conversion (vLLM's
    convert_image_mode: image.convert("RGB")): a dark grey shirt came out white, a cut-out product on black."""
    import io

    import numpy as np

    if kind == "grey16":
        Image.fromarray(np.full((20, 30), 20000, np.uint16)).save(tmp_path / "photo.png")
    else:
        _png(tmp_path / "photo.png", (30, 20), (0, 0), mode="LA")
    loaded = ImageLoader(root=tmp_path).load("photo.png", keep_bytes=True)
    url = loaded.data_url()
    assert url.startswith("data:image/png;base64,")
    seen = Image.open(io.BytesIO(base64.b64decode(url.partition(",")[2]))).convert("RGB")  # a server's reading
    assert (
        seen.getpixel((5, 5))
        == loaded.image.getpixel((5, 5))
        == {"grey16": (77, 77, 77), "transparent": (255, 255, 255)}[kind]
    )


class _Served(io.BytesIO):
    """What urlopen returns, for a fake server: the body, its headers, a context manager."""

    headers: dict[str, str] = {}


def test_a_url_without_its_scheme_is_fetched_over_https_or_skipped_as_remote(tmp_path: Path) -> None:
    """Shopify's Liquid (img_url) and scraped HTML write photo URLs without their scheme: '//cdn.shopify.com/…'.
    Such a photo was read as a local path, 'no such file (//cdn.shopify.com/…)', even with --allow-remote-images:
    never fetched, and without the flag an error (the product degraded) instead of a remote photo not fetched."""
    raw = _png(tmp_path / "a.png").read_bytes()
    asked: list[str] = []

    def urlopen(request: Any, timeout: float) -> _Served:
        asked.append(request.full_url)
        return _Served(raw)

    url = "//cdn.shopify.com/s/files/1/0001/products/dress.png?v=1612"
    assert ImageLoader(allow_remote=True, urlopen=urlopen).load(url).ok
    assert asked == ["https:" + url]
    skipped = ImageLoader(urlopen=urlopen).load(url)
    assert (skipped.skipped, skipped.error) == (
        True,
        f"https:{url}: remote image not fetched; allow it with --allow-remote-images",
    )
    assert ImageLoader(root=tmp_path).load("//" + str(tmp_path / "a.png")).ok  # a doubled slash: still a path


def test_a_relative_path_written_on_windows_is_read_on_linux(tmp_path: Path) -> None:
    """A catalogue made on Windows lists 'photos\\red.png': on Linux a backslash is a letter of a file name, so the
    photo beside the input was 'no such file (…/photos\\red.png)' and every product was tagged from its text alone."""
    (tmp_path / "photos").mkdir()
    _png(tmp_path / "photos" / "red.png")
    loader = ImageLoader(root=tmp_path)
    assert loader.load("photos\\red.png").ok
    assert loader.load("photos\\gone.png").error == f"photos\\gone.png: no such file ({tmp_path}/photos\\gone.png)"


def test_a_path_from_the_media_root_as_magento_exports_it_is_read_under_the_image_root(tmp_path: Path) -> None:
    """Magento's product export lists base_image as '/m/b/mb01-blue-0.jpg', from pub/media/catalog/product: read as
    a path from the root of the disk, no --image-root could point at them, 'no such file (/m/b/mb01-blue-0.jpg)'."""
    media = tmp_path / "pub" / "media" / "catalog" / "product"
    (media / "m" / "b").mkdir(parents=True)
    _png(media / "m" / "b" / "mb01-blue-0.png")
    loader = ImageLoader(root=media)
    assert loader.load("/m/b/mb01-blue-0.png").ok
    assert loader.load("/m/b/gone.png").error == "/m/b/gone.png: no such file (/m/b/gone.png)"
    assert loader.load(str(media / "m" / "b" / "mb01-blue-0.png")).ok  # an absolute path that is one stays one


def test_image_formats_named_by_their_file_extension_are_read_as_pillows_names(tmp_path: Path) -> None:
    """``formats: [jpg, png, webp]``, as the files are named: taken as written, every JPEG was turned away ("JPEG
    images are not accepted (image_limits.formats: JPG, PNG, WEBP)"), each product tagged without its photo."""
    from tagllm.config import load_config

    config = tmp_path / "tagllm.yaml"
    config.write_text("image_limits:\n  formats: [jpg, png, webp, .tif]\n")
    limits = load_config(config).image_limits
    assert limits.formats == ["JPEG", "PNG", "WEBP", "TIFF"]
    Image.new("RGB", (8, 8), "red").save(tmp_path / "red.jpg")
    assert ImageLoader(limits, root=tmp_path).load("red.jpg").ok


def test_an_image_format_pillow_does_not_know_stops_the_run_at_its_config(tmp_path: Path) -> None:
    from tagllm.config import load_config
    from tagllm.errors import ConfigError

    config = tmp_path / "tagllm.yaml"
    config.write_text("image_limits:\n  formats: [jpeg, heic]\n")
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    assert str(refused.value) == (
        f"invalid configuration:\n  {config}: image_limits.formats: 'heic': Pillow reads no image format of that name "
        "(name formats as Pillow does: JPEG, PNG, WEBP, GIF, BMP, TIFF, …; one a Pillow plugin adds needs that plugin "
        "installed)"
    )


def test_a_zero_byte_photo_is_named_empty_not_as_no_image_file(tmp_path: Path) -> None:
    """A photo file of 0 bytes (a failed download or copy) was "not an image file (no format Pillow reads)"."""
    (tmp_path / "blank.jpg").write_bytes(b"")
    assert ImageLoader(root=tmp_path).load("blank.jpg").error == "blank.jpg: empty file (0 bytes)"


def test_an_iphones_heic_photo_is_named_as_one_not_as_no_image_file(tmp_path: Path) -> None:
    """A HEIC photo (an iPhone's default) was "not an image file (no format Pillow reads)": the user, looking at a
    photo that opens in every viewer, was not told what it is nor what to do."""
    (tmp_path / "IMG_0042.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200))
    loaded = ImageLoader(root=tmp_path).load("IMG_0042.HEIC")
    assert loaded.error == (
        "IMG_0042.HEIC: a HEIC photo (as iPhones save them), a format Pillow does not read: convert it to JPEG"
    )


def _swapped_primaries_profile() -> bytes:
    """An ICC profile whose red and blue primaries are sRGB's blue and red: its (255, 0, 0) is sRGB's blue."""
    from PIL import ImageCms

    raw = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    raw = bytearray(bytes(raw).replace("sRGB".encode("utf-16-be"), "Test".encode("utf-16-be")))
    count = struct.unpack(">I", raw[128:132])[0]
    entries = {bytes(raw[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    raw[red + 4 : red + 12], raw[blue + 4 : blue + 12] = raw[blue + 4 : blue + 12], raw[red + 4 : red + 12]
    return bytes(raw)


def test_a_photo_is_read_in_the_colours_its_icc_profile_says_as_viewers_show_it() -> None:
    """A JPEG whose numbers are in another colour space than sRGB (a print shop's CMYK, Adobe RGB, an iPhone's
    Display P3) was read as if they were sRGB: its colours shifted, for the colour histograms and for an LLM alike."""
    from PIL import ImageCms

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (255, 0, 0)).save(buffer, "JPEG", quality=95, icc_profile=_swapped_primaries_profile())
    loaded = ImageLoader().decode("blue.jpg", buffer.getvalue(), keep_bytes=True)
    red, green, blue = loaded.image.getpixel((8, 8))
    assert red < 20 and green < 20 and blue > 230
    assert not loaded.as_stored and loaded.data_url().startswith("data:image/png;base64,")  # the bytes read otherwise
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (255, 0, 0)).save(buffer, "JPEG", quality=95, icc_profile=b"not a profile")
    loaded = ImageLoader().decode("red.jpg", buffer.getvalue())
    assert loaded.ok and loaded.as_stored and loaded.image.getpixel((8, 8))[0] > 230  # an unreadable one: as stored
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (255, 0, 0)).save(buffer, "JPEG", quality=95, icc_profile=srgb)
    assert ImageLoader().decode("red.jpg", buffer.getvalue()).as_stored  # sRGB's numbers as they are: sent as is


def _cmyk_profile(ink: Any) -> bytes:
    """An ICC input profile for CMYK (ImageCms makes none): its A2B0 table (lut16, two grid points an ink) takes each
    corner of the ink cube, ``ink(c, m, y, k)`` of 0s and 1s, to the sRGB colour it returns, through D50 XYZ."""
    import itertools

    def s15(x: float) -> bytes:
        return struct.pack(">i", round(x * 65536))

    def xyz(rgb: tuple[int, int, int]) -> list[float]:
        linear = [((c / 255 + 0.055) / 1.055) ** 2.4 if c / 255 > 0.04045 else c / 255 / 12.92 for c in rgb]
        d50 = [(0.4360747, 0.3850649, 0.1430804), (0.2225045, 0.7168786, 0.0606169), (0.0139322, 0.0971045, 0.7141733)]
        return [sum(a * b for a, b in zip(row, linear, strict=True)) for row in d50]

    clut = b"".join(
        struct.pack(">HHH", *(min(65535, round(v * 32768)) for v in xyz(ink(*corner))))
        for corner in itertools.product((0, 1), repeat=4)
    )
    identity = b"".join(s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    lut = b"mft2" + bytes(4) + bytes([4, 3, 2, 0]) + identity + struct.pack(">HH", 2, 2)
    lut += struct.pack(">HH", 0, 65535) * 4 + clut + struct.pack(">HH", 0, 65535) * 3
    desc = b"desc" + bytes(4) + struct.pack(">I", 10) + b"Test CMYK\0" + bytes(78)
    white = s15(0.9642) + s15(1.0) + s15(0.8249)  # D50
    tags = [
        (b"desc", desc),
        (b"wtpt", b"XYZ " + bytes(4) + white),
        (b"cprt", b"text" + bytes(4) + b"none\0"),
        (b"A2B0", lut),
    ]
    table, body = struct.pack(">I", len(tags)), b""
    for signature, data in tags:
        data += bytes(-len(data) % 4)
        table += signature + struct.pack(">II", 128 + 4 + 12 * len(tags) + len(body), len(data))
        body += data
    header = bytearray(128)
    header[8:24] = bytes([2, 0x10, 0, 0]) + b"scnrCMYKXYZ "  # version 2.1, an input device's CMYK, XYZ
    header[36:40], header[68:80] = b"acsp", white
    profile = header + table + body
    profile[0:4] = struct.pack(">I", len(profile))
    return bytes(profile)


def _as_printed(c: int, m: int, y: int, k: int) -> tuple[int, int, int]:
    return (255 * (1 - c) * (1 - k), 255 * (1 - m) * (1 - k), 255 * (1 - y) * (1 - k))


@pytest.mark.parametrize("size", [None, 8])  # 8: decoded at a reduced scale (JPEG draft mode)
def test_a_cmyk_jpeg_with_an_icc_profile_is_read_in_the_colours_its_profile_gives(size: int | None) -> None:
    """A print shop's CMYK JPEG (Adobe's inverted CMYK, as Photoshop and Pillow write it) carrying its ICC profile is
    converted through that profile: each ink, paper white and black come out as RGB, and a profile reading an ink
    otherwise (magenta as blue) is followed, not Pillow's own CMYK conversion."""
    profile = _cmyk_profile(_as_printed)
    expected = {
        (0, 255, 255, 0): (255, 0, 0),
        (255, 0, 0, 0): (0, 255, 255),
        (0, 255, 0, 0): (255, 0, 255),
        (0, 0, 0, 255): (0, 0, 0),
        (0, 0, 0, 0): (255, 255, 255),
    }
    for cmyk, rgb in expected.items():
        buffer = io.BytesIO()
        Image.new("CMYK", (16, 16), cmyk).save(buffer, "JPEG", quality=95, icc_profile=profile)
        loaded = ImageLoader().decode("print.jpg", buffer.getvalue(), size=size)
        assert loaded.ok and loaded.image.mode == "RGB" and not loaded.as_stored
        assert all(abs(a - b) <= 3 for a, b in zip(loaded.image.getpixel((2, 2)), rgb, strict=True)), (cmyk, rgb)

    def magenta_as_blue(c: int, m: int, y: int, k: int) -> tuple[int, int, int]:
        return (0, 0, 255) if (c, m, y, k) == (0, 1, 0, 0) else _as_printed(c, m, y, k)

    buffer = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 255, 0, 0)).save(
        buffer, "JPEG", quality=95, icc_profile=_cmyk_profile(magenta_as_blue)
    )
    red, green, blue = ImageLoader().decode("print.jpg", buffer.getvalue(), size=size).image.getpixel((2, 2))
    assert red < 10 and green < 10 and blue > 245

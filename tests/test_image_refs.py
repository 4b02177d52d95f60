"""A product's photos listed the ways real catalogues list them: one reference per photo, none lost or split wrong."""

from __future__ import annotations

import base64
import io
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_photos import COLOURS, draw, photo_index  # noqa: F401  (the module-scoped index with photos)

from tagllm.config import TaggerConfig
from tagllm.image_refs import image_references
from tagllm.images import ImageLoader
from tagllm.io import read_products
from tagllm.models import Product, RecordError
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

URL = "https://cdn.shop.example/p/123.jpg"
SCHEMELESS = "//cdn.shopify.com/s/files/1/0001/products/dress.jpg"
SIZED = "https://cdn.shop.example/p/123.jpg?w=800,h=600&fit=crop"  # a CDN's resize parameters, with a comma
DATA = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
    "RU5ErkJggg=="
)
WRAPPED = "data:image/png;base64," + "\n".join(textwrap.wrap(DATA.partition(",")[2], 76))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("front.jpg,back.jpg", ["front.jpg", "back.jpg"]),
        ("front.jpg, back.jpg", ["front.jpg", "back.jpg"]),
        ("front.jpg; back.jpg", ["front.jpg", "back.jpg"]),
        ("front.jpg|back.jpg", ["front.jpg", "back.jpg"]),
        ("front.jpg\nback.jpg", ["front.jpg", "back.jpg"]),
        ('["front.jpg", "back.jpg"]', ["front.jpg", "back.jpg"]),
        (f"{URL}, https://cdn.shop.example/p/124.jpg", [URL, "https://cdn.shop.example/p/124.jpg"]),
        (f"{URL} {SIZED}", [URL, SIZED]),  # blanks between URLs
        (SIZED, [SIZED]),
        (f"{SIZED},{SIZED}", [SIZED, SIZED]),
        (f"{SIZED}, back.jpg", [SIZED, "back.jpg"]),
        (DATA, [DATA]),
        (f"{DATA},{DATA}", [DATA, DATA]),
        (WRAPPED, [DATA]),  # its base64 wrapped as base64(1) writes it: each line was a reference of its own
        (f"{WRAPPED}\nback.jpg", [DATA, "back.jpg"]),
        (f"{WRAPPED}\n{WRAPPED}", [DATA, DATA]),
        ("photos/Red, front view.jpg", ["photos/Red, front view.jpg"]),  # a file name with a comma in it
        (r"C:\photos\a.jpg;C:\photos\b.jpg", [r"C:\photos\a.jpg", r"C:\photos\b.jpg"]),
        ("  front.jpg  ", ["front.jpg"]),
        ("", []),
        # as Chinese input methods type the separators: full-width comma and semicolon, the enumeration comma
        ("front.jpg，back.jpg", ["front.jpg", "back.jpg"]),
        ("front.jpg、back.jpg", ["front.jpg", "back.jpg"]),
        ("front.jpg；back.jpg", ["front.jpg", "back.jpg"]),
        ("front.jpg ， back.jpg", ["front.jpg", "back.jpg"]),
        (f"{URL}，https://cdn.shop.example/p/124.jpg", [URL, "https://cdn.shop.example/p/124.jpg"]),
        (f"{URL}、 https://cdn.shop.example/p/124.jpg", [URL, "https://cdn.shop.example/p/124.jpg"]),
        ("图片/红色、蓝色.jpg", ["图片/红色、蓝色.jpg"]),  # a file name with an enumeration comma in it
        ("主图，正面.jpg", ["主图，正面.jpg"]),
        # URLs without their scheme, as Shopify's Liquid writes them, joined by a comma or a blank
        (f"{SCHEMELESS}?v=1612, {SCHEMELESS}?v=1613", [f"{SCHEMELESS}?v=1612", f"{SCHEMELESS}?v=1613"]),
        (f"{SCHEMELESS} {SCHEMELESS}", [SCHEMELESS, SCHEMELESS]),
        # what exports write for no photo: Magento's no_selection, a database's NULL (MySQL's \N), pandas' nan
        ("no_selection", []),
        ("NULL", []),
        ("\\N", []),
        ("nan", []),
        ("N/A", []),
        ("front.jpg|no_selection", ["front.jpg"]),
        ("none.jpg", ["none.jpg"]),
    ],
)
def test_a_text_cell_lists_each_photo_once(cell: str, expected: list[str]) -> None:
    assert Product(id="p", title="Dress", images=cell).images == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("images", "expected"),
    [
        ([{"src": URL, "alt": "front", "position": 1}, {"src": "back.jpg", "alt": None}], [URL, "back.jpg"]),
        ([{"url": URL}], [URL]),
        ([{"path": "front.jpg"}], ["front.jpg"]),
        ({"src": URL}, [URL]),  # one photo object, not in a list
        ([None, "front.jpg"], ["front.jpg"]),  # a null in a list column
        (["NULL", "front.jpg"], ["front.jpg"]),
        ('[{"src": "front.jpg"}]', ["front.jpg"]),  # a JSON string of photo objects (a Parquet string column)
    ],
)
def test_photo_objects_as_shop_apis_return_them(images: Any, expected: list[str]) -> None:
    assert Product(id="p", title="Dress", images=images).images == expected


def read(tmp_path: Path, name: str, text: str) -> list[Product | RecordError]:
    path = tmp_path / name
    path.write_text(text)
    return list(read_products(path))


def test_a_csv_cell_of_several_photos_is_read_as_several(tmp_path: Path) -> None:
    text = (
        "id,title,images\n"
        'a,Dress,"front.jpg,back.jpg"\n'
        "b,Dress,front.jpg; back.jpg\n"
        'c,Dress,"[""front.jpg"",""back.jpg""]"\n'
        f'd,Dress,"{SIZED}, {URL}"\n'
    )
    products = read(tmp_path, "products.csv", text)
    assert [p.images for p in products if isinstance(p, Product)] == [
        ["front.jpg", "back.jpg"],
        ["front.jpg", "back.jpg"],
        ["front.jpg", "back.jpg"],
        [SIZED, URL],
    ]


def test_an_images_field_that_names_no_photo_is_an_error_record_naming_the_record_and_field(tmp_path: Path) -> None:
    lines = [
        {"id": "ok", "title": "Dress", "images": [{"src": "front.jpg"}]},
        {"id": "alt-only", "title": "Dress", "images": [{"src": "front.jpg"}, {"alt": "back"}]},
        {"id": "number", "title": "Dress", "images": [123]},
    ]
    items = read(tmp_path, "products.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    path = tmp_path / "products.jsonl"
    assert isinstance(items[0], Product)
    errors = [item for item in items if isinstance(item, RecordError)]
    assert [(e.record_id, e.field, e.message) for e in errors] == [
        ("alt-only", "images", f"{path}:2: record 'alt-only' field 'images': item 2 is a photo object with no "
         "reference: it needs one of the keys src, url, path, href, link, uri, file holding a path or URL (its "
         "keys: 'alt')"),
        ("number", "images", f"{path}:3: record 'number' field 'images': item 1 is int 123, not a photo path, URL "
         "or object with a src/url/path key"),
    ]  # fmt: skip
    (broken,) = read(tmp_path, "products.csv", 'id,title,images\nbroken,Dress,"[""front.jpg"""\n')
    assert isinstance(broken, RecordError)
    assert broken.message == (
        f"{tmp_path / 'products.csv'}:2: record 'broken' field 'images': '[\"front.jpg\"' starts like a JSON list "
        "but is not valid JSON"
    )


SHOPIFY_EXPORT = (  # Shopify's product CSV: a row per further photo and per variant, repeating the Handle
    "Handle,Title,Body (HTML),Vendor,Image Src,Image Position,Variant SKU\n"
    "red-dress,Red dress,<p>Summer</p>,Acme,gone.jpg,1,RD-S\n"
    "red-dress,,,,front.jpg,2,RD-M\n"
    "red-dress,,,,,,RD-L\n"
    "blue-shoe,Blue shoe,,Acme,shoe.jpg,1,BS\n"
)
SHOPIFY_COLUMNS = {"id": "Handle", "title": "Title", "description": "Body (HTML)", "brand": "Vendor",
                   "images": "Image Src"}  # fmt: skip


def test_a_shopify_exports_photo_rows_are_joined_to_their_product(tmp_path: Path) -> None:
    path = tmp_path / "products_export.csv"
    path.write_text(SHOPIFY_EXPORT)
    products = list(read_products(path, columns=SHOPIFY_COLUMNS))
    assert [(p.id, p.images) if isinstance(p, Product) else (p.record_id, p.field) for p in products] == [
        ("red-dress", ["gone.jpg", "front.jpg"]),  # the variant row with no photo is joined too (test_shopify_export)
        ("blue-shoe", ["shoe.jpg"]),
    ]


def test_a_file_run_reads_a_shopify_products_second_photo_when_the_first_is_gone(
    photo_index: Path,  # noqa: F811
    demo_taxonomy: Any,
    embedder: Any,
    tmp_path: Path,
) -> None:
    draw(tmp_path / "front.jpg", "dress", COLOURS["color-red"])
    draw(tmp_path / "shoe.jpg", "shoe", COLOURS["color-blue"])
    source, target = tmp_path / "products_export.csv", tmp_path / "tags.jsonl"
    source.write_text(SHOPIFY_EXPORT)
    tagger = Tagger(demo_taxonomy, index=ExampleIndex.load(photo_index), embedder=embedder, config=TaggerConfig())
    summary = tagger.tag_file(source, target, columns=SHOPIFY_COLUMNS)
    assert (summary.tagged, summary.variants, summary.joined, summary.duplicates) == (2, 2, 0, 0)
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [[(u["source"], u["status"]) for u in r["provenance"]["images"]] for r in rows] == [
        [("gone.jpg", "error"), ("front.jpg", "ok")],
        [("shoe.jpg", "ok")],
    ]


def _unpadded_png() -> bytes:
    """A PNG whose length is a multiple of 3: its base64 ends with no '=' to say where it stops."""
    from PIL import Image

    for width in range(1, 64):
        buffer = io.BytesIO()
        Image.new("RGB", (width, 3), (200, 40, 40)).save(buffer, format="PNG")
        if len(buffer.getvalue()) % 3 == 0:
            return buffer.getvalue()
    raise AssertionError("no PNG of a length divisible by 3")


def test_a_data_url_and_an_extension_less_file_name_on_the_next_line_stay_two_photos(tmp_path: Path) -> None:
    """A data URL on one line, its base64 without '=' padding, then a photo named as cameras and DAMs name them
    ('IMG0001', no extension): the file name was read as more of the data URL's base64, one broken data URL for two
    photos, the file's photo never tried."""
    raw = _unpadded_png()
    data = "data:image/png;base64," + base64.b64encode(raw).decode()
    (tmp_path / "IMG0001").write_bytes(raw)
    product = Product(id="p", title="Dress", images=f"{data}\nIMG0001")
    assert product.images == [data, "IMG0001"]
    loader = ImageLoader(root=tmp_path)
    assert [loader.load(ref).error for ref in product.images] == [None, None]
    # a wrap's lines are still joined, at openssl's 64 characters with the header on a line of its own too
    lines = base64.encodebytes(raw * 3).decode().replace("\n", "")
    openssl = "\n".join(["data:image/png;base64,", *textwrap.wrap(lines, 64)])
    assert Product(id="p", title="Dress", images=f"{openssl}\nIMG0001").images == [
        "data:image/png;base64," + lines,
        "IMG0001",
    ]


def test_a_magento_export_without_a_photo_is_no_photo_not_a_missing_file(tmp_path: Path) -> None:
    """Magento's export writes base_image 'no_selection' for a product without a photo: it was read as a file name,
    'no_selection: no such file', the product degraded ('no photo could be read') and tagged again by every
    --resume, the summary saying to fix its photos."""
    (tmp_path / "export.csv").write_text("sku,name,base_image\nB,Everyday sneakers,no_selection\nC,Classic tee,NULL\n")
    columns = {"id": "sku", "title": "name", "images": "base_image"}
    products = list(read_products(tmp_path / "export.csv", columns=columns))
    assert [(p.id, p.images) for p in products if isinstance(p, Product)] == [("B", []), ("C", [])]


def test_a_missing_cell_in_a_list_of_photos_is_no_photo_as_a_null_is() -> None:
    # a wide export's photo columns joined into lists (df[["Image 1", "Image 2"]].values.tolist()) hold NaN, or
    # pandas' NA, where a product has fewer photos: each such product was an error record "item 2 is float nan, not a
    # photo path, URL or object with a src/url/path key", where a null there is no photo
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"Image 1": ["a.jpg", "b.jpg"], "Image 2": ["a-back.jpg", None]})
    lists = frame[["Image 1", "Image 2"]].values.tolist()
    assert [image_references(cells) for cells in lists] == [["a.jpg", "a-back.jpg"], ["b.jpg"]]
    assert image_references(["c.jpg", float("nan"), pd.NA, None]) == ["c.jpg"]

"""A product's photos listed the ways real catalogues list them: one reference per photo, none lost or split wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tagllm.io import read_products
from tagllm.models import Product, RecordError

URL = "https://cdn.shop.example/p/123.jpg"
SIZED = "https://cdn.shop.example/p/123.jpg?w=800,h=600&fit=crop"  # a CDN's resize parameters, with a comma
DATA = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
    "RU5ErkJggg=="
)


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
        (SIZED, [SIZED]),
        (f"{SIZED},{SIZED}", [SIZED, SIZED]),
        (f"{SIZED}, back.jpg", [SIZED, "back.jpg"]),
        (DATA, [DATA]),
        (f"{DATA},{DATA}", [DATA, DATA]),
        ("photos/Red, front view.jpg", ["photos/Red, front view.jpg"]),  # a file name with a comma in it
        (r"C:\photos\a.jpg;C:\photos\b.jpg", [r"C:\photos\a.jpg", r"C:\photos\b.jpg"]),
        ("  front.jpg  ", ["front.jpg"]),
        ("", []),
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

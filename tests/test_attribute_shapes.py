"""Attributes arrive in more shapes than a mapping: JSON text in a Parquet column (as in a CSV cell), an Arrow/Spark
map column, a list of "Key: Value" tags. Every reader and the Python API read them alike; a bool id is refused."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tagllm.io import read_products
from tagllm.models import Product, RecordError


@pytest.mark.parametrize(
    "given",
    [
        {"Colour": "Red", "Size": "M"},
        '{"Colour": "Red", "Size": "M"}',
        [("Colour", "Red"), ("Size", "M")],
        [["Colour", "Red"], ["Size", "M"]],
        ["Colour: Red", "Size: M"],
    ],
)
def test_every_shape_of_attributes_gives_the_same_mapping(given):
    assert Product(id="p", title="shirt", attributes=given).attributes == {"Colour": "Red", "Size": "M"}


@pytest.mark.parametrize(
    "given",
    [
        # WooCommerce's product attributes (each was an error record, the product untagged)
        [
            {"id": 1, "name": "Colour", "position": 0, "visible": True, "variation": True, "options": ["Red", "Blue"]},
            {"id": 0, "name": "Size", "position": 1, "visible": True, "variation": False, "options": ["M"]},
        ],
        [{"name": "Colour", "option": "Red"}, {"name": "Colour", "option": "Blue"}, {"name": "Size", "option": "M"}],
        [{"name": "Colour", "values": ["Red", "Blue"]}, {"name": "Size", "values": ["M"]}],  # Shopify's options
        [{"name": "Colour", "value": "Red, Blue"}, {"key": "Size", "value": "M"}],
        '[{"name": "Colour", "options": ["Red", "Blue"]}, {"name": "Size", "options": ["M"]}]',  # a CSV cell
    ],
)
def test_attribute_objects_as_shop_exports_write_them_are_read(given, tmp_path: Path):
    assert Product(id="p", title="shirt", attributes=given).attributes == {"Colour": "Red, Blue", "Size": "M"}
    path = tmp_path / "products.jsonl"
    path.write_text(json.dumps({"id": "p", "title": "shirt", "attributes": given}) + "\n")
    (product,) = read_products(path)
    assert isinstance(product, Product) and product.attributes == {"Colour": "Red, Blue", "Size": "M"}


def test_a_key_given_twice_keeps_both_values():
    product = Product(id="p", title="shirt", attributes=["Colour: Red", "Colour: Blue"])
    assert product.attributes == {"Colour": "Red, Blue"}


def test_a_nested_value_reads_as_a_seller_writes_it_not_as_python_repr():
    given = {"Dimensions": {"Width": "10 cm", "Height": None, "Depth": [4, "cm"]}, "Size": ["M", None, "L"]}
    product = Product(id="p", title="shelf", attributes=given)
    assert product.attributes == {"Dimensions": "Width: 10 cm, Depth: 4, cm", "Size": "M, L"}
    assert "{" not in product.text() and "None" not in product.text()


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("Colour: Red", {"Colour": "Red"}),
        ("Colour: Red; Size: M", {"Colour": "Red", "Size": "M"}),
        ("Colour: Red | Material: Cotton", {"Colour": "Red", "Material": "Cotton"}),
        ("Colour: Red, Size: M", {"Colour": "Red", "Size": "M"}),
        ("Colour: Red\nSize: M", {"Colour": "Red", "Size": "M"}),
    ],
)
def test_one_string_of_key_value_tags_is_read_as_a_sellers_csv_cell_writes_them(given, read, tmp_path: Path):
    """A seller's CSV column of "Key: Value" tags made every product an error record."""
    assert Product(id="p", title="shirt", attributes=given).attributes == read
    path = tmp_path / "products.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "title", "attributes"], ["p", "shirt", given]])
    (product,) = read_products(path)
    assert isinstance(product, Product) and product.attributes == read


@pytest.mark.parametrize(
    "given",
    [
        "Red cotton",  # a string that holds no "Key: Value" tag
        "{not json",
        [{"name": "Colour"}],  # no value
        [{"name": "Colour", "value": "Red", "options": ["Red", "Blue"]}],  # which one holds the values?
        [{"colour": "Red"}],
        ["no colon"],
    ],
)
def test_a_shape_that_is_no_mapping_is_an_error_naming_the_field(given):
    with pytest.raises(ValueError, match="attributes"):
        Product(id="p", title="shirt", attributes=given)


def test_parquet_attributes_as_json_text_and_as_a_map_column(tmp_path: Path):
    path = tmp_path / "products.parquet"
    table = pa.table(
        {
            "id": ["a", "b"],
            "title": ["red shirt", "blue mug"],
            "attributes": ['{"Colour": "Red"}', json.dumps({"Colour": "Blue"})],
            "specs": pa.array([[("Material", "Cotton")], [("Material", "Ceramic")]], pa.map_(pa.string(), pa.string())),
        }
    )
    pq.write_table(table, path)
    products = list(read_products(path, columns={"attributes": "specs"}))
    assert all(isinstance(p, Product) for p in products), products
    assert [p.attributes for p in products] == [{"Material": "Cotton"}, {"Material": "Ceramic"}]  # type: ignore[union-attr]
    products = list(read_products(path))
    assert [p.attributes for p in products] == [{"Colour": "Red"}, {"Colour": "Blue"}]  # type: ignore[union-attr]


def test_a_bool_id_is_an_error_record_named_by_its_line(tmp_path: Path):
    path = tmp_path / "products.jsonl"
    path.write_text(json.dumps({"id": True, "title": "shirt"}) + "\n" + json.dumps({"id": 7, "title": "mug"}) + "\n")
    bad, good = list(read_products(path))
    assert isinstance(bad, RecordError) and bad.field == "id" and bad.record_id == "line-1"
    assert isinstance(good, Product) and good.id == "7"

"""A Shopify product export read with the README's recipe: one product per Handle, its variant and photo rows joined
to it and counted, nothing dropped without a record."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.errors import InputError
from tagllm.io import RecordSource, parse_columns, read_products, to_product
from tagllm.models import Product, RecordError

RECIPE = {"id": "Handle", "title": "Title", "description": "Body (HTML)", "brand": "Vendor", "images": "Image Src"}
RECIPE_FLAG = 'id=Handle,title=Title,description="Body (HTML)",brand=Vendor,images=Image Src'

# the column set of Shopify's product CSV export, rows as it writes them: the first row of a product holds its text,
# the next ones its other variants (Option values, SKU, price, the variant's photo) and further photos
HEADER = (
    "Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name,Option1 Value,Option2 Name,"
    "Option2 Value,Option3 Name,Option3 Value,Variant SKU,Variant Grams,Variant Inventory Tracker,Variant Inventory "
    "Qty,Variant Inventory Policy,Variant Fulfillment Service,Variant Price,Variant Compare At Price,Variant Requires "
    "Shipping,Variant Taxable,Variant Barcode,Image Src,Image Position,Image Alt Text,Gift Card,SEO Title,SEO "
    "Description,Variant Image,Variant Weight Unit,Variant Tax Code,Cost per item,Status\n"
)
SHIRT = (
    'linen-shirt,Men\'s Linen Shirt,"<p>Breathable linen, relaxed fit.</p>",Northwind,Apparel & Accessories > '
    'Clothing > Clothing Tops > Shirts,Shirts,"linen, summer",true,Color,White,Size,S,,,LS-WH-S,200,shopify,12,deny,'
    "manual,39.00,,true,true,,shirt-white.jpg,1,White linen shirt,false,,,shirt-white.jpg,g,,,active\n"
    "linen-shirt,,,,,,,,,White,,M,,,LS-WH-M,210,shopify,8,deny,manual,39.00,,true,true,,shirt-back.jpg,2,,,,,,g,,,\n"
    "linen-shirt,,,,,,,,,Blue,,S,,,LS-BL-S,200,shopify,5,deny,manual,39.00,,true,true,,,,,,,,shirt-blue.jpg,g,,,\n"
    "linen-shirt,,,,,,,,,Blue,,M,,,LS-BL-M,210,shopify,0,deny,manual,39.00,,true,true,,,,,,,,shirt-blue.jpg,g,,,\n"
    "linen-shirt,,,,,,,,,,,,,,,,,,,,,,,,,shirt-detail.jpg,4,Collar detail,,,,,,,,\n"
)
MUG = (
    "ceramic-mug,Stoneware Coffee Mug 350ml,<p>Glazed stoneware.</p>,Clayworks,,Mugs,,true,Title,Default Title,,,,,"
    "MUG-1,400,shopify,30,deny,manual,14.00,,true,true,,mug.jpg,1,,false,,,,g,,,active\n"
)
SCARF_VARIANT = (  # a variant row of a product whose first row is not just before it
    "wool-scarf,,,,,,,,,Grey,,,,,WS-GR,150,shopify,3,deny,manual,25.00,,true,true,,,,,,,,scarf-grey.jpg,g,,,\n"
)
SCARF = (
    "wool-scarf,Wool Scarf,<p>Merino.</p>,Northwind,,Scarves,,true,Color,Grey,,,,,WS-GR,150,shopify,3,deny,manual,"
    "25.00,,true,true,,scarf.jpg,1,,false,,,,g,,,active\n"
)


def _read(tmp_path: Path, text: str, columns: dict[str, str] = RECIPE) -> list[Product | RecordError]:
    path = tmp_path / "products_export.csv"
    path.write_text(HEADER + text)
    return list(read_products(path, columns=columns))


def test_a_product_with_variants_is_one_product_with_each_variants_photo(tmp_path: Path) -> None:
    products = _read(tmp_path, SHIRT + MUG)
    shirt_photos = ["shirt-white.jpg", "shirt-back.jpg", "shirt-blue.jpg", "shirt-detail.jpg"]
    assert [(p.id, p.title, p.images) for p in products if isinstance(p, Product)] == [
        ("linen-shirt", "Men's Linen Shirt", shirt_photos),
        ("ceramic-mug", "Stoneware Coffee Mug 350ml", ["mug.jpg"]),
    ]
    assert len(products) == 2


def test_option_values_are_not_read_as_the_products_text(tmp_path: Path) -> None:
    shirt = _read(tmp_path, SHIRT)[0]
    assert isinstance(shirt, Product)
    assert shirt.attributes == {}  # the recipe maps no option column: Color/Size stay out of the tagged text
    assert shirt.extra["Option1 Value"] == "White" and "Variant Image" not in shirt.extra


def test_variant_rows_and_photo_rows_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "products_export.csv"
    path.write_text(HEADER + SHIRT + MUG)
    source = RecordSource(path, columns=RECIPE)
    assert [r.data["id"] for r in source if r.data] == ["linen-shirt", "ceramic-mug"]
    assert (source.variants, source.joined) == (3, 1)


def test_a_variant_row_with_no_product_before_it_is_an_error_record_naming_its_row(tmp_path: Path) -> None:
    products = _read(tmp_path, MUG + SCARF_VARIANT + SCARF)
    assert isinstance(products[0], Product) and products[0].id == "ceramic-mug"
    orphan = products[1]
    assert isinstance(orphan, RecordError)
    assert (orphan.line, orphan.record_id, orphan.field) == (3, None, "title")  # named by its row, not by the id
    assert orphan.message.startswith(
        f"{tmp_path / 'products_export.csv'}:3: a row of product 'wool-scarf' with a variant and no title, and no row "
        "of that product just before it"
    )
    assert isinstance(products[2], Product) and products[2].id == "wool-scarf"  # the product's own row is tagged


def test_a_genuinely_repeated_id_stays_a_repeated_id(tmp_path: Path) -> None:
    again = MUG.replace("Stoneware Coffee Mug 350ml", "Stoneware Coffee Mug 350ml (copy)").replace("mug.jpg", "b.jpg")
    no_variant = "ceramic-mug" + "," * 35 + "\n"  # the Handle and nothing else
    products = _read(tmp_path, MUG + again + no_variant)
    assert [(p.id, p.title) if isinstance(p, Product) else (p.record_id, p.field) for p in products] == [
        ("ceramic-mug", "Stoneware Coffee Mug 350ml"),
        ("ceramic-mug", "Stoneware Coffee Mug 350ml (copy)"),  # its own title: reported by a run as a repeated id
        ("ceramic-mug", "title"),
    ]


def test_variant_rows_that_repeat_the_products_text_are_joined(tmp_path: Path) -> None:
    # other tools than Shopify's export write each variant row in full
    full = "ceramic-mug,Stoneware Coffee Mug 350ml,<p>Glazed stoneware.</p>,Clayworks,,,,,,Blue" + "," * 26 + "\n"
    products = _read(tmp_path, MUG + full)
    assert [p.id for p in products if isinstance(p, Product)] == ["ceramic-mug"] and len(products) == 1


def test_a_variants_photo_is_not_read_when_the_tables_photos_are_not(tmp_path: Path) -> None:
    columns = {k: v for k, v in RECIPE.items() if k != "images"}
    shirt = _read(tmp_path, SHIRT, columns)[0]
    assert isinstance(shirt, Product) and shirt.images == []
    assert shirt.extra["Variant Image"] == "shirt-white.jpg"


def test_shopifys_2024_export_spelling(tmp_path: Path) -> None:
    path = tmp_path / "products_export.csv"
    path.write_text(
        "Title,URL handle,Description,Vendor,SKU,Option1 name,Option1 value,Price,Product image URL,Image position,"
        "Variant image URL\n"
        "Linen Shirt,linen-shirt,<p>Linen.</p>,Northwind,LS-1,Color,White,39.00,white.jpg,1,white.jpg\n"
        "Linen Shirt,linen-shirt,<p>Linen.</p>,Northwind,LS-2,Color,Blue,39.00,,,blue.jpg\n"
        ",linen-shirt,,,,,,,back.jpg,2,\n"
    )
    columns = {"id": "URL handle", "title": "Title", "description": "Description", "brand": "Vendor"}
    columns["images"] = "Product image URL"
    products = list(read_products(path, columns=columns))
    assert [(p.id, p.images) for p in products if isinstance(p, Product)] == [
        ("linen-shirt", ["white.jpg", "blue.jpg", "back.jpg"])
    ]
    assert len(products) == 1


def test_a_parquet_export_joins_its_variant_rows(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "products.parquet"
    table = pa.table(
        {
            "Handle": ["tee", "tee", "cap"],
            "Title": ["Cotton Tee", None, "Baseball Cap"],
            "Option1 Value": ["Black", "White", "Default Title"],
            "Image Src": ["tee.jpg", None, "cap.jpg"],
            "Variant Image": [None, "tee-white.jpg", None],
        }
    )
    pq.write_table(table, path)
    products = list(read_products(path, columns=RECIPE))
    assert [(p.id, p.images) for p in products if isinstance(p, Product)] == [
        ("tee", ["tee.jpg", "tee-white.jpg"]),
        ("cap", ["cap.jpg"]),
    ]


def test_generate_tags_one_result_per_product_and_says_what_it_joined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the repo's tagllm.yaml
    (tmp_path / "products_export.csv").write_text(HEADER + SHIRT + MUG)
    result = CliRunner().invoke(
        app,
        ["generate", "products_export.csv", "-o", "tags.csv", "--taxonomy", "demo", "--columns", RECIPE_FLAG],
    )
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "tags.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["linen-shirt", "ceramic-mug"]
    assert (
        "2 tagged, 0 failed, 3 variant row(s) joined to their product, 1 row(s) of further photos joined to their "
        "product" in result.stderr
    )


@pytest.mark.parametrize("name", ["products.parquet", "products.csv"])
def test_a_row_without_a_title_whose_photo_list_is_empty_is_no_photo_row(tmp_path: Path, name: str) -> None:
    # a list column's empty cell: [] in Parquet, "[]" in the CSV pandas writes of it. Taken for photos, a product
    # without a title was reported as "a row of product '2' with photos", under line-3 instead of its id, and one
    # repeating the row before's id was joined to it as a row of further photos, counted as such
    path = tmp_path / name
    ids, titles = ["1", "2", "3", "3"], ["Cotton Tee", None, "Wool Scarf", None]
    images: list[list[str]] = [["tee.jpg"], [], [], []]
    if name.endswith(".parquet"):
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"id": ids, "title": titles, "images": images}), path)
    else:
        path.write_text('id,title,images\n1,Cotton Tee,"[""tee.jpg""]"\n2,,[]\n3,Wool Scarf,[]\n3,,[]\n')
    source = RecordSource(path)
    read = [to_product(record, source.name) for record in source]
    assert [(p.id, p.images) if isinstance(p, Product) else (p.record_id, p.field) for p in read] == [
        ("1", ["tee.jpg"]),
        ("2", "title"),  # named by its id, for the title it lacks
        ("3", []),
        ("3", "title"),  # a record of its own, which a run reports as a repeated id
    ]
    assert read[1].message.endswith("record '2' has no title; every product needs a non-empty title")  # type: ignore[union-attr]
    assert source.joined == 0


@pytest.mark.parametrize(
    ("header", "flag"),
    [
        (HEADER, """--columns 'id=Handle,title=Title,description="Body (HTML)",brand=Vendor,images="Image Src"'"""),
        (
            "Title,URL handle,Description,Vendor,SKU,Product image URL\n",
            """--columns 'id="URL handle",title=Title,description=Description,brand=Vendor,"""
            """images="Product image URL"'""",
        ),
    ],
    ids=["classic export", "2024 export"],
)
def test_a_shopify_export_read_without_columns_is_told_the_whole_recipe(tmp_path: Path, header: str, flag: str) -> None:
    # the hint named title=Title alone: run so, each variant and photo row was an error record ("has no title": 4 of
    # the shirt's 5 rows), the products were named line-N, and their descriptions and vendors were not read
    path = tmp_path / "products_export.csv"
    path.write_text(header + SHIRT)
    with pytest.raises(InputError) as error:
        RecordSource(path).require_title()
    assert str(error.value).endswith(f"; it is a Shopify product export: {flag}")
    if header == HEADER:  # as the hint says, as a shell passes it
        products = list(read_products(path, columns=parse_columns(shlex.split(flag)[1])))
        assert [(p.id, p.description, p.brand) for p in products if isinstance(p, Product)] == [
            ("linen-shirt", "Breathable linen, relaxed fit.", "Northwind")
        ]
        assert len(products) == 1


BODY = (
    "<p><strong>Material:</strong>&nbsp;100% linen</p>\n<ul><li>Relaxed fit</li><li>Tom &amp; Co&#39;s cut</li></ul>"
    '<style>p { font-family: "Helvetica Neue"; }</style><script>track("view")</script><!-- promo -->'
)


@pytest.mark.parametrize(
    ("given", "read"),
    [
        (BODY, "Material: 100% linen Relaxed fit Tom & Co's cut"),
        ("Sizes 2 < 3 > 1, no markup", "Sizes 2 < 3 > 1, no markup"),  # a '<' not opening a tag is text
        ("<p>   </p>", None),  # markup alone: no description
    ],
)
def test_a_description_in_html_is_read_as_its_text(tmp_path: Path, given: str, read: str | None) -> None:
    # Shopify's Body (HTML), mapped by the recipe: its tags, entities and inline styles were read as words, and took
    # the 600 characters of description the tagger reads ('p strong Material strong nbsp 100 linen p ul li …')
    product = Product(id="p1", title="Linen Shirt", description=given)
    assert product.description == read

"""A Shopify product export, read as one without --columns (its options, Type and Tags as attributes) or with the
columns given: one product per Handle, its variant and photo rows joined to it and counted, nothing dropped without a
record."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.errors import InputError
from tagllm.io import RecordSource, read_products, to_product
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


def _export(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "products_export.csv"
    path.write_text(text)
    return path


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
    # --columns given replaces the export's reading, which gathers the options: Color/Size stay out of the text
    assert shirt.attributes == {}
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


def test_an_export_read_without_columns_is_read_as_one_product_per_handle_with_its_options(tmp_path: Path) -> None:
    products = list(read_products(_export(tmp_path, HEADER + SHIRT + MUG)))
    assert len(products) == 2 and all(isinstance(p, Product) for p in products)
    shirt, mug = products
    assert isinstance(shirt, Product) and isinstance(mug, Product)
    assert (shirt.id, shirt.title, shirt.description, shirt.brand) == (
        "linen-shirt", "Men's Linen Shirt", "Breathable linen, relaxed fit.", "Northwind"
    )  # fmt: skip
    assert shirt.images == ["shirt-white.jpg", "shirt-back.jpg", "shirt-blue.jpg", "shirt-detail.jpg"]
    # every variant's option values, each once in the export's order; the type first, the tags last
    assert shirt.attributes == {
        "Product type": "Shirts",
        "Color": "White, Blue",
        "Size": "S, M",
        "Tags": "linen, summer",
    }
    assert mug.attributes == {"Product type": "Mugs"}  # "Title: Default Title" is Shopify's "no variants"
    # the cells stay, for --keep-columns to copy: an option's value column holds the first variant's
    assert (shirt.extra["Option1 Value"], shirt.extra["Type"], shirt.extra["Tags"]) == (
        "White",
        "Shirts",
        "linen, summer",
    )
    assert shirt.extra["Product Category"].startswith("Apparel & Accessories")  # kept, not read: the shop's answer


def test_the_tagger_reads_the_exports_type_options_and_tags(tmp_path: Path) -> None:
    shirt = next(iter(read_products(_export(tmp_path, HEADER + SHIRT))))
    assert isinstance(shirt, Product)
    assert shirt.text().splitlines()[:3] == [
        "Men's Linen Shirt",
        "Northwind",
        "Product type: Shirts; Color: White, Blue; Size: S, M; Tags: linen, summer",
    ]


def test_shopifys_2024_export_is_read_without_columns(tmp_path: Path) -> None:
    path = _export(
        tmp_path,
        "Title,URL handle,Description,Vendor,Type,Tags,SKU,Option1 name,Option1 value,Option2 name,Option2 value,"
        "Product image URL,Variant image URL\n"
        "Linen Shirt,linen-shirt,<p>Linen.</p>,Northwind,Shirts,linen,LS-1,Color,White,Size,S,white.jpg,white.jpg\n"
        ",linen-shirt,,,,,LS-2,,Navy,,S,,navy.jpg\n"
        ",linen-shirt,,,,,LS-3,,Navy,,M,,navy.jpg\n"
        ",linen-shirt,,,,,,,,,,back.jpg,\n",
    )
    source = RecordSource(path)
    products = [to_product(record, source.name) for record in source]
    assert [(p.id, p.title, p.images, p.attributes) for p in products if isinstance(p, Product)] == [
        (
            "linen-shirt",
            "Linen Shirt",
            ["white.jpg", "navy.jpg", "back.jpg"],
            {"Product type": "Shirts", "Color": "White, Navy", "Size": "S, M", "Tags": "linen"},
        )
    ]
    assert len(products) == 1 and (source.variants, source.joined) == (2, 1)


def test_a_parquet_export_read_without_columns_gathers_its_options(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "products.parquet"
    table = pa.table(
        {
            "Handle": ["tee", "tee", "cap"],
            "Title": ["Cotton Tee", None, "Baseball Cap"],
            "Option1 Name": ["Color", None, "Title"],
            "Option1 Value": ["Black", "White", "Default Title"],
            "Image Src": ["tee.jpg", None, "cap.jpg"],
        }
    )
    pq.write_table(table, path)
    products = list(read_products(path))
    assert [(p.id, p.attributes) for p in products if isinstance(p, Product)] == [
        ("tee", {"Color": "Black, White"}),
        ("cap", {}),
    ]


def test_a_table_that_is_no_shopify_export_keeps_its_option_columns(tmp_path: Path) -> None:
    path = _export(tmp_path, "id,title,Type,Option1 Name,Option1 Value\n1,Cotton Tee,Tops,Color,Black\n")
    tee = next(iter(read_products(path)))
    assert isinstance(tee, Product) and tee.attributes == {}
    assert tee.extra == {"Type": "Tops", "Option1 Name": "Color", "Option1 Value": "Black"}


def test_columns_given_for_an_export_without_its_title_are_told_to_leave_them_out(tmp_path: Path) -> None:
    path = _export(tmp_path, HEADER + SHIRT)
    with pytest.raises(InputError) as error:
        RecordSource(path, columns={"brand": "Vendor"}).require_title()
    assert str(error.value).endswith(
        "; it is a Shopify product export, which is read as one without --columns (its handle as the id, its title, "
        "description, vendor and photos, and its options, Type and Tags as attributes): leave out --columns, or add "
        "title=Title to it"
    )


def test_generate_reads_an_export_without_columns_and_says_how(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # not the repo's tagllm.yaml
    _export(tmp_path, HEADER + SHIRT + MUG)
    args = ["generate", "products_export.csv", "-o", "tags.csv", "--taxonomy", "demo", "--keep-columns", "Tags"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with (tmp_path / "tags.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["product_id"] for row in rows] == ["linen-shirt", "ceramic-mug"]
    assert [row["Tags"] for row in rows] == ["linen, summer", ""]  # a column read as an attribute is still kept
    assert (
        'products_export.csv: read as a Shopify product export (\'id=Handle,title=Title,description="Body (HTML)",'
        "brand=Vendor,images=\"Image Src\"'; its options, Type and Tags as attributes; its SEO description or photos' "
        "alt texts as the description where the body is empty; its other columns kept in extra); --columns reads it "
        "otherwise" in result.stderr
    )
    assert result.stderr.count("read as a Shopify product export") == 1
    assert "not product fields" not in result.stderr  # the export's ~30 other columns are not listed as a mistake


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


@pytest.mark.parametrize(
    "header",
    [
        "Handle,Title,Type,Tags",  # a shop's own table: a handle and a title, no column only Shopify's export has
        "handle,title,Type,Tags",
    ],
)
def test_a_table_with_a_handle_and_a_title_alone_is_no_shopify_export(tmp_path: Path, header: str) -> None:
    # Handle + Title told an export: any such table had its Type and Tags read as attributes, its rows joined by Handle
    path = _export(tmp_path, f"{header}\ntee,Cotton Tee,Tops,sale\n")
    source = RecordSource(path, columns={"id": header.split(",")[0], "title": header.split(",")[1]})
    tee = next(iter(source))
    assert source.shopify_export is False
    plain = RecordSource(path)
    plain.peek(1)
    assert plain.shopify_export is False and plain.columns == {}
    assert tee.data is not None and "attributes" not in tee.data


@pytest.mark.parametrize("third", ["Body (HTML)", "Variant SKU", "Option1 Name", "Image Src", "SEO Description"])
def test_a_handle_and_a_title_with_one_column_of_shopifys_own_is_an_export(tmp_path: Path, third: str) -> None:
    path = _export(tmp_path, f"Handle,Title,{third}\ntee,Cotton Tee,x\n")
    source = RecordSource(path)
    source.peek(1)
    assert source.shopify_export is True and source.columns["id"] == "Handle"


def test_the_2024_columns_are_told_in_any_case(tmp_path: Path) -> None:
    path = _export(tmp_path, "URL handle,Title,SEO title,Option1 name\ntee,Cotton Tee,Tee,Color\n")
    source = RecordSource(path)
    source.peek(1)
    assert source.shopify_export is True


def test_the_seo_description_is_the_description_when_the_body_is_empty(tmp_path: Path) -> None:
    path = _export(
        tmp_path,
        "Handle,Title,Body (HTML),SEO Title,SEO Description,Image Src,Image Alt Text\n"
        "tee,Cotton Tee,,Cotton Tee | Northwind,Soft organic cotton crew neck tee.,tee.jpg,Black tee front\n"
        "mug,Stoneware Mug,<p>Glazed.</p>,,Our best mug.,mug.jpg,Blue mug\n"
        "cap,Cotton Cap,<p>&nbsp;</p>,,Six-panel cotton cap.,cap.jpg,\n",  # a cleared body: the editor's markup alone
    )
    tee, mug, cap = list(read_products(path))
    assert isinstance(cap, Product) and cap.description == "Six-panel cotton cap."
    assert isinstance(tee, Product) and isinstance(mug, Product)
    assert tee.description == "Soft organic cotton crew neck tee."
    assert mug.description == "Glazed."  # the body, when it has text, is the shop's description
    assert tee.title == "Cotton Tee"  # the SEO title (the title with the shop's name) is not read


def test_the_photos_alt_texts_are_the_description_when_there_is_no_other(tmp_path: Path) -> None:
    path = _export(
        tmp_path,
        "Handle,Title,Body (HTML),Image Src,Image Alt Text,Option1 Name,Option1 Value\n"
        "tee,Cotton Tee,,tee.jpg,Black cotton tee front,Color,Black\n"
        "tee,,,tee-back.jpg,Black cotton tee back,,\n"
        "tee,,,tee-3.jpg,Cotton Tee,,\n"  # the title again: states nothing more
        "tee,,,tee-4.jpg,Black cotton tee front,,\n",
    )
    (tee,) = list(read_products(path))
    assert isinstance(tee, Product)
    assert tee.description == "Black cotton tee front; Black cotton tee back"
    assert tee.extra["Image Alt Text"] == "Black cotton tee front"  # the first row's cell, as --keep-columns copies


def test_tag_file_says_once_that_it_read_a_shopify_export(demo_index_dir: Path, tmp_path: Path) -> None:
    import tagllm
    from tagllm.config import TaggerConfig
    from tagllm.errors import InputWarning

    path = _export(tmp_path, HEADER + SHIRT + MUG)
    with pytest.warns(InputWarning) as said:
        tagllm.tag_file(path, tmp_path / "tags.jsonl", TaggerConfig(index=str(demo_index_dir)))
    notes = [str(w.message) for w in said if "Shopify" in str(w.message)]
    assert len(notes) == 1 and notes[0].endswith("tag_file(columns=...) reads it otherwise")

"""Photos on the default path: an index built on the examples' photos, products tagged with photos good and bad."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tagllm.assembly import build_index
from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError, IndexMismatchError
from tagllm.models import LabelledProduct
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

COLOURS = {
    "color-red": (200, 30, 40),
    "color-blue": (30, 60, 190),
    "color-green": (40, 150, 60),
    "color-black": (25, 25, 25),
}
KINDS = {  # category -> (title, how its silhouette is drawn)
    "apparel-dresses": ("Summer dress", "dress"),
    "footwear-sneakers": ("Everyday sneakers", "shoe"),
    "apparel-tshirts": ("Classic tee", "tee"),
}


def draw(path: Path, kind: str, colour: tuple[int, int, int], jitter: int = 0) -> Path:
    """A product photo as catalogues take them: the product alone on white, 3:4."""
    image = Image.new("RGB", (150, 200), "white")
    pen = ImageDraw.Draw(image)
    j = jitter
    if kind == "dress":
        pen.polygon([(60 + j, 20), (90 - j, 20), (125, 185 - j), (25, 185 - j)], fill=colour)
    elif kind == "shoe":
        pen.rectangle([15, 110 + j, 135 - j, 150], fill=colour)
        pen.rectangle([15, 150, 135 - j, 160], fill=(235, 235, 235))
    else:
        pen.rectangle([45, 40 + j, 105, 180], fill=colour)
        pen.rectangle([15 + j, 40, 135 - j, 80], fill=colour)
    image.save(path, quality=92)
    return path


def write_examples(directory: Path) -> Path:
    """48 labelled examples whose titles never name the colour: only their photos show it."""
    (directory / "photos").mkdir(parents=True, exist_ok=True)
    rows = []
    for category, (title, kind) in KINDS.items():
        for colour, rgb in COLOURS.items():
            for jitter in range(4):
                name = f"photos/{kind}-{colour}-{jitter}.jpg"
                draw(directory / name, kind, rgb, jitter * 3)
                labels = {"category": [category], "color": [colour]}
                rows.append({"id": f"{kind}-{colour}-{jitter}", "title": title, "images": [name], "labels": labels})
    path = directory / "examples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def forged_png(path: Path, width: int, height: int) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture(scope="module")
def photo_index(tmp_path_factory: pytest.TempPathFactory, demo_taxonomy: Any, embedder: Any) -> Path:
    root = tmp_path_factory.mktemp("photo-examples")
    target = root / "index"
    build_index(write_examples(root), demo_taxonomy, embedder, target)
    return target


def test_the_index_holds_the_examples_photos_and_loads_them_back(photo_index: Path, demo_taxonomy: Any) -> None:
    manifest = json.loads((photo_index / "manifest.json").read_text())
    assert manifest["images"] == {
        "encoder": {"name": "pixels", "kind": "pixels", "dims": {"look": manifest["images"]["encoder"]["dims"]["look"],
                    "colour": 648}, "version": 1},
        "count": 48,
        "reading": 2,
    }  # fmt: skip
    index = ExampleIndex.load(photo_index, taxonomy=demo_taxonomy)
    assert index.images is not None and len(index.images) == 48
    assert index.images.views["colour"].shape == (48, 648)
    # the nearest photo by colour of a red dress is another red one
    red = index.images.batch([0]).views["colour"]
    hits = index.images.search("colour", red, 4)
    assert [index.examples[i].labels["color"] for i in hits.ids[0]] == [["color-red"]] * 4


def test_an_index_whose_photos_were_read_before_exif_turns_is_refused(
    photo_index: Path, demo_taxonomy: Any, tmp_path: Path
) -> None:
    """An index built before photos were turned upright by their EXIF orientation (its manifest records no photo
    reading) loaded as it was: a phone photo stored on its side kept its sideways vectors, compared with products'
    photos read upright, and nothing said so. It is now refused with the rebuild command."""
    old = tmp_path / "index"
    shutil.copytree(photo_index, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["images"].pop("reading", None)  # as a tagllm before the turns wrote it
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError) as refused:
        ExampleIndex.load(old, taxonomy=demo_taxonomy)
    assert str(refused.value) == (
        f"{old}: its examples' photos were encoded as stored, before tagllm turned a photo upright as its EXIF "
        "orientation says, so their vectors are not comparable to the products' photos; rebuild it: tagllm index "
        f"build EXAMPLES --index {old}"
    )


def test_no_product_is_lost_to_a_bad_photo(
    photo_index: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    draw(tmp_path / "good.jpg", "dress", COLOURS["color-red"])
    draw(tmp_path / "whole.jpg", "dress", COLOURS["color-blue"])
    (tmp_path / "truncated.jpg").write_bytes((tmp_path / "whole.jpg").read_bytes()[:400])
    (tmp_path / "notes.jpg").write_text("not a photo")
    forged_png(tmp_path / "huge.png", 9000, 9000)
    products = [
        {"id": "good", "title": "Summer dress", "images": ["good.jpg"]},
        {"id": "missing", "title": "Summer dress", "images": ["missing.jpg"]},
        {"id": "truncated", "title": "Summer dress", "images": ["truncated.jpg"]},
        {"id": "notes", "title": "Summer dress", "images": ["notes.jpg"]},
        {"id": "huge", "title": "Summer dress", "images": ["huge.png"]},
        {"id": "remote", "title": "Summer dress", "images": ["https://example.com/dress.jpg"]},
        {"id": "none", "title": "Summer dress"},
        {"id": "second", "title": "Summer dress", "images": ["missing.jpg", "good.jpg"]},  # the next photo is read
    ]
    source = tmp_path / "products.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in products))
    tagger = Tagger(demo_taxonomy, index=ExampleIndex.load(photo_index), embedder=embedder, config=TaggerConfig())
    summary = tagger.tag_file(source, tmp_path / "out.jsonl")
    assert (summary.tagged, summary.failed) == (8, 0)
    results = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["status"] for r in results] == ["ok"] * 8
    assert all(r["tags"]["category"] for r in results)
    images = {r["product_id"]: r["provenance"].get("images", []) for r in results}
    assert images == {
        "good": [{"source": "good.jpg", "status": "ok", "width": 150, "height": 200}],
        "missing": [{"source": "missing.jpg", "status": "error",
                     "error": f"missing.jpg: no such file ({tmp_path / 'missing.jpg'})"}],
        "truncated": [{"source": "truncated.jpg", "status": "error",
                       "error": "truncated.jpg: broken image (Truncated File Read)"}],
        "notes": [{"source": "notes.jpg", "status": "error",
                   "error": "notes.jpg: not an image file (no format Pillow reads)"}],
        "huge": [{"source": "huge.png", "status": "error",
                  "error": "huge.png: 9000x9000 pixels is over the limit of 40,000,000 (image_limits.max_pixels)"}],
        "remote": [{"source": "https://example.com/dress.jpg", "status": "skipped",
                    "error": "https://example.com/dress.jpg: remote image not fetched; allow it with "
                    "--allow-remote-images"}],
        "none": [],
        "second": [{"source": "missing.jpg", "status": "error",
                    "error": f"missing.jpg: no such file ({tmp_path / 'missing.jpg'})"},
                   {"source": "good.jpg", "status": "ok", "width": 150, "height": 200}],
    }  # fmt: skip


def test_a_batch_none_of_whose_photos_load_still_says_why_for_each(
    photo_index: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    (tmp_path / "notes.jpg").write_text("not a photo")
    products = [
        {"id": "missing", "title": "Summer dress", "images": ["missing.jpg"]},
        {"id": "notes", "title": "Summer dress", "images": ["notes.jpg"]},
    ]
    config = TaggerConfig(image_root=str(tmp_path))
    tagger = Tagger(demo_taxonomy, index=ExampleIndex.load(photo_index), embedder=embedder, config=config)
    uses = [[u.error for u in r.provenance.images] for r in tagger.tag(products)]  # type: ignore[union-attr]
    assert uses == [
        [f"missing.jpg: no such file ({tmp_path / 'missing.jpg'})"],
        ["notes.jpg: not an image file (no format Pillow reads)"],
    ]


def test_the_photo_says_what_the_title_does_not(
    photo_index: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    products = []
    for colour in COLOURS:
        for title, kind in KINDS.values():
            name = f"{kind}-{colour}.jpg"
            draw(tmp_path / name, kind, COLOURS[colour], jitter=5)  # a jitter no example was drawn with
            products.append({"id": name, "title": title, "images": [name]})
    config = TaggerConfig(image_root=str(tmp_path))
    tagger = Tagger(demo_taxonomy, index=ExampleIndex.load(photo_index), embedder=embedder, config=config)
    results = tagger.tag(products)
    assert [r.best("color").id for r in results] == [c for c in COLOURS for _ in KINDS]  # type: ignore[union-attr]
    evidence = results[0].provenance.candidates["color"][0].evidence  # type: ignore[union-attr]
    assert {"colour_vote", "colour_centroid", "colour_ridge"} <= set(evidence)


def test_inputs_image_reads_the_photo_alone(
    photo_index: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    draw(tmp_path / "shoe.jpg", "shoe", COLOURS["color-green"], jitter=5)
    product = {"id": "p", "title": "Summer dress", "images": ["shoe.jpg"]}  # the title says what the photo does not
    config = TaggerConfig(image_root=str(tmp_path), inputs=["image"])
    tagger = Tagger(demo_taxonomy, index=ExampleIndex.load(photo_index), embedder=embedder, config=config)
    (result,) = tagger.tag([product])
    assert (result.best("category").id, result.best("color").id) == ("footwear-sneakers", "color-green")  # type: ignore[union-attr]
    neighbours = result.provenance.neighbours  # type: ignore[union-attr]
    assert [n.title for n in neighbours] == ["Everyday sneakers"] * 5  # the nearest photos, not the nearest titles
    evidence = {name for c in result.provenance.candidates["category"] for name in c.evidence}  # type: ignore[union-attr]
    assert evidence <= {"img_vote", "img_top1", "img_centroid", "img_ridge", "colour_vote", "colour_top1",
                        "colour_centroid", "colour_ridge", "prior"}  # fmt: skip


def test_inputs_image_needs_an_index_with_photos(demo_index_dir: Path, demo_taxonomy: Any, embedder: Any) -> None:
    from tagllm.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^inputs \[image\] tags from the photos alone: it needs an index built"):
        Tagger(demo_taxonomy, index=ExampleIndex.load(demo_index_dir), embedder=embedder,
               config=TaggerConfig(inputs=["image"]))  # fmt: skip


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory, demo_taxonomy: Any) -> Path:
    """A random-weight CLIP saved like a downloaded transformers model (nothing is downloaded)."""
    pytest.importorskip(
        "transformers", reason="a CLIP image embedder needs transformers: pip install 'tagllm[transformers]'"
    )
    from tagllm.testing import build_clip

    corpus = [f"a product photo, {f.title or f.name}: {v.name}" for f in demo_taxonomy.facets.values()
              for v in demo_taxonomy.facet_values(f.name)]  # fmt: skip
    return build_clip(tmp_path_factory.mktemp("tiny-clip"), corpus)


def test_a_clip_image_embedder_goes_through_index_build_and_tagging(
    tiny_clip: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    from tagllm.errors import IndexMismatchError

    examples = write_examples(tmp_path / "data")
    build_index(examples, demo_taxonomy, embedder, tmp_path / "index", image_embedder=str(tiny_clip))
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert len(manifest["images"]["encoder"].pop("probe")) == 16
    assert manifest["images"] == {
        "encoder": {"name": str(tiny_clip), "kind": "clip", "dims": {"look": 16, "colour": 648}},
        "count": 48,
        "reading": 2,
    }
    draw(tmp_path / "red-dress.jpg", "dress", COLOURS["color-red"], jitter=5)
    config = TaggerConfig(image_root=str(tmp_path))
    index = ExampleIndex.load(tmp_path / "index", taxonomy=demo_taxonomy)
    (result,) = Tagger(demo_taxonomy, index=index, embedder=embedder, config=config).tag(
        [{"id": "p", "title": "Summer dress", "images": ["red-dress.jpg"]}]
    )
    assert result.status == "ok" and result.best("color").id == "color-red"  # type: ignore[union-attr]
    evidence = {n for c in result.provenance.candidates["color"] for n in c.evidence}  # type: ignore[union-attr]
    assert {"img_vote", "img_label", "colour_vote"} <= evidence  # CLIP's look, its label similarity, the colours
    with pytest.raises(IndexMismatchError, match="index built with image embedder .*, not 'pixels'; rebuild it"):
        Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(image_embedder="pixels"))


def test_an_index_built_with_a_relative_clip_directory_tags_from_anywhere(
    tiny_clip: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``index build --image-embedder models/clip`` recorded the path as given: run anywhere else, every tagllm
    generate over the index stopped with "image embedder 'models/clip': no such directory", and a models/clip
    there (another model) would have encoded the products' photos against the examples' vectors of this one."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(tiny_clip, project / "models" / "clip")
    examples = write_examples(project / "data")
    monkeypatch.chdir(project)
    build_index(examples, demo_taxonomy, embedder, tmp_path / "index", image_embedder="models/clip")
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["images"]["encoder"]["name"] == str(project / "models" / "clip")
    draw(tmp_path / "red-dress.jpg", "dress", COLOURS["color-red"], jitter=5)
    monkeypatch.chdir(tmp_path)
    index = ExampleIndex.load(tmp_path / "index", taxonomy=demo_taxonomy)
    (result,) = Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(image_root=".")).tag(
        [{"id": "p", "title": "Summer dress", "images": ["red-dress.jpg"]}]
    )
    assert result.status == "ok" and not result.degraded, result
    assert result.best("color").id == "color-red"  # type: ignore[union-attr]


def test_a_sentence_transformers_clip_directory_encodes_as_its_transformers_model(
    tiny_clip: Path, tmp_path: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    from tagllm.retrieval.image_encoder import ClipEncoder

    SentenceTransformer(str(tiny_clip)).save(str(tmp_path / "st"))
    photos = [Image.new("RGB", (60, 80), colour) for colour in COLOURS.values()]
    direct, wrapped = ClipEncoder(str(tiny_clip)), ClipEncoder(str(tmp_path / "st"))
    a, b = (e.encode([e.prepare(p) for p in photos]) for e in (direct, wrapped))
    assert a["look"].shape == (4, 16) and abs(a["look"] - b["look"]).max() < 1e-5
    texts = ["a product photo, Color: Red", "a product photo, Color: Blue"]
    assert abs(direct.encode_text(texts) - wrapped.encode_text(texts)).max() < 1e-5


def test_an_eval_sweep_over_inputs_scores_title_photo_and_both_on_the_same_products(
    photo_index: Path, tmp_path: Path
) -> None:
    from tagllm.evaluation.harness import load_eval_config, run_eval

    (tmp_path / "photos").mkdir()
    gold = []
    for colour, rgb in COLOURS.items():
        for category, (title, kind) in KINDS.items():
            name = f"photos/{kind}-{colour}.jpg"
            draw(tmp_path / name, kind, rgb, jitter=5)
            labels = {"category": [category], "color": [colour]}
            gold.append({"id": f"{kind}-{colour}", "title": title, "images": [name], "labels": labels})
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_field: labels\nbootstrap: 0\n"
        f"tagger:\n  taxonomy: demo\n  index: {photo_index}\n"
        "sweep:\n  inputs: [[text], [image], [text, image]]\n"
    )
    outcome = run_eval(load_eval_config(tmp_path / "eval.yaml"), root=tmp_path / "run")
    accuracy = {
        m["variant"]: {f: m["facets"][f]["leaf_accuracy"]["value"] for f in ("category", "color")}
        for m in outcome.metrics
    }
    # the titles name the kind, never the colour; the photos (relative to the gold file) show both
    assert accuracy == {
        "inputs=text": {"category": 1.0, "color": 0.0},  # no colour: the tagger abstains,
        "inputs=image": {"category": 1.0, "color": 1.0},
        "inputs=text+image": {"category": 1.0, "color": 1.0},
    }


def test_index_add_encodes_added_photos_and_replaces_a_reviewed_examples_photo(
    demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    import numpy as np

    from tagllm.images import ImageLoader
    from tagllm.models import LabelledProduct
    from tagllm.retrieval.image_index import encode_photos

    examples = write_examples(tmp_path / "data")
    build_index(examples, demo_taxonomy, embedder, tmp_path / "index")
    index = ExampleIndex.load(tmp_path / "index", taxonomy=demo_taxonomy)
    draw(tmp_path / "data" / "blue-dress.jpg", "dress", COLOURS["color-blue"], jitter=2)
    draw(tmp_path / "data" / "new-shoe.jpg", "shoe", COLOURS["color-green"], jitter=2)
    labels = {"category": ["apparel-dresses"], "color": ["color-blue"]}
    reviewed = LabelledProduct(id="dress-color-red-0", title="Summer dress", images=["blue-dress.jpg"], labels=labels)
    shoe_labels = {"category": ["footwear-sneakers"], "color": ["color-green"]}
    new = LabelledProduct(id="new-shoe", title="Everyday sneakers", images=["new-shoe.jpg"], labels=shoe_labels)
    counts = index.add([reviewed, new], embedder, image_loader=ImageLoader(root=tmp_path / "data"))
    assert (counts.added, counts.replaced) == (1, 1)
    assert index.images is not None and len(index.images) == 49
    loader = ImageLoader(root=tmp_path / "data")
    expected = encode_photos([["blue-dress.jpg"], ["new-shoe.jpg"]], loader, index.image_encoder)  # type: ignore[arg-type]
    at = [i for i, e in enumerate(index.examples) if e.id in ("dress-color-red-0", "new-shoe")]
    for row, i in enumerate(at):
        stored = index.images.views["colour"][index.images.position[i]]
        assert np.allclose(stored, expected.views["colour"][row])


def test_a_photo_index_build_names_the_example_whose_photo_it_could_not_use(
    demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    draw(tmp_path / "red.jpg", "dress", COLOURS["color-red"])
    rows = [
        {"id": "ok", "title": "Summer dress", "images": ["red.jpg"], "labels": {"category": ["apparel-dresses"]}},
        {"id": "gone", "title": "Summer dress", "images": ["gone.jpg"], "labels": {"category": ["apparel-dresses"]}},
    ]
    source = tmp_path / "examples.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    built = build_index(source, demo_taxonomy, embedder, tmp_path / "index")
    assert built.image_problems == [f"example 'gone': gone.jpg: no such file ({tmp_path / 'gone.jpg'})"]
    # one photo (or a shop's one placeholder photo for all) has no variance to whiten: the look is all zeros, not
    # the NaNs of dividing by a zero eigenvalue, which made every photo search return nonsense
    assert built.images is not None and np.isfinite(built.images.views["look"]).all()


def test_inputs_image_makes_a_product_without_a_readable_photo_an_error_record(
    photo_index: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    """From the photos alone, a product whose photo cannot be read has nothing to be tagged from: it came out 'ok'
    with no tags, counted as tagged, and --resume never retried it once the photo was fixed."""
    draw(tmp_path / "shoe.jpg", "shoe", COLOURS["color-green"], jitter=5)
    products = [
        {"id": "shoe", "title": "Everyday sneakers", "images": ["shoe.jpg"]},
        {"id": "gone", "title": "Everyday sneakers", "images": ["gone.jpg"]},
        {"id": "none", "title": "Everyday sneakers"},
    ]
    config = TaggerConfig(image_root=str(tmp_path), inputs=["image"])
    tagger = Tagger(demo_taxonomy, index=ExampleIndex.load(photo_index), embedder=embedder, config=config)
    results = tagger.tag(products)
    assert [r.status for r in results] == ["ok", "error", "error"]
    assert [(r.error.field, r.error.message) for r in results[1:]] == [  # type: ignore[union-attr]
        ("images", f"inputs [image] tags from the photos alone, and none could be read: gone.jpg: no such "
                   f"file ({tmp_path / 'gone.jpg'})"),
        ("images", "inputs [image] tags from the photos alone, and the product has none"),
    ]  # fmt: skip


def test_two_file_runs_of_one_tagger_on_two_threads_read_each_files_photos_beside_it(
    photo_index: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    # the runs shared one root: the second run read its photos from the first file's directory (here: not there)
    import json
    import threading

    runs = {}
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        draw(folder / f"{name}.jpg", "tee", (200, 30, 30))
        source = folder / "products.jsonl"
        source.write_text(json.dumps({"id": name, "title": "Cotton t-shirt", "images": [f"{name}.jpg"]}) + "\n")
        runs[name] = (source, folder / "tags.jsonl")
    tagger = Tagger(demo_taxonomy, index=ExampleIndex.load(photo_index), embedder=embedder)
    a_started, b_done = threading.Event(), threading.Event()

    def wait_for_b(stage: str, done: int, total: int | None) -> None:
        a_started.set()
        b_done.wait(timeout=60)  # run a has begun, b runs whole meanwhile

    first = threading.Thread(target=lambda: tagger.tag_file(*runs["a"], progress=wait_for_b))
    first.start()
    try:
        assert a_started.wait(timeout=60)
        tagger.tag_file(*runs["b"])
    finally:
        b_done.set()
        first.join()
    for name, (_, target) in runs.items():
        (row,) = [json.loads(line) for line in target.read_text().splitlines()]
        assert row["status"] == "ok" and row.get("degraded") is None, (name, row.get("degraded"))


def test_an_image_root_that_is_no_directory_stops_the_run_and_the_index_build_before_any_product(
    photo_index: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    """A mistyped --image-root made every relative photo a missing file: each product tagged from its text alone
    ('2 tagged (2 from the text alone: no photo could be read)', exit 0), an index built of texts alone (48 'photo
    not used' lines, exit 0), the mistake said only once the work was done."""
    from tagllm.assembly import examples_image_loader
    from tagllm.errors import ConfigError

    missing, a_file = tmp_path / "phtoos", tmp_path / "examples.jsonl"
    a_file.write_text("")
    with pytest.raises(ConfigError) as refused:
        Tagger(demo_taxonomy, index=ExampleIndex.load(photo_index), embedder=embedder,
               config=TaggerConfig(image_root=str(missing)))  # fmt: skip
    assert str(refused.value) == (
        f"image_root (--image-root) {missing}: no such directory; give the directory relative photo paths start "
        "from, or leave it unset to start them beside the input file"
    )
    with pytest.raises(ConfigError, match=f"image_root \\(--image-root\\) {a_file}: is a file, not a directory; "):
        examples_image_loader(TaggerConfig(image_root=str(a_file)), a_file)
    assert examples_image_loader(TaggerConfig(image_root=str(tmp_path)), a_file).root == tmp_path


def test_index_add_says_the_photos_of_examples_added_to_an_index_of_texts_alone_are_not_used(
    demo_index_dir: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    """An index built from examples without photos has no image encoder: `tagllm index add` of reviewed examples
    with photos added them without their photos and said nothing ('added 8, …', exit 0)."""
    from tagllm.images import ImageLoader
    from tagllm.models import LabelledProduct

    draw(tmp_path / "blue-dress.jpg", "dress", COLOURS["color-blue"])
    labels = {"category": ["apparel-dresses"], "color": ["color-blue"]}
    reviewed = [
        LabelledProduct(id=f"dress-{i}", title="Summer dress", images=["blue-dress.jpg"], labels=labels)
        for i in range(7)
    ] + [LabelledProduct(id="no-photo", title="Summer dress", labels=labels)]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy)
    assert index.images is None
    counts = index.add(reviewed, embedder, image_loader=ImageLoader(root=tmp_path))
    assert counts.added == 8 and index.images is None
    assert index.image_problems == [
        "the photos of 7 reviewed example(s) ('dress-0', 'dress-1', 'dress-2', 'dress-3', 'dress-4', … (2 more)): the "
        "index holds no photos (its examples had none that could be read when it was built, or it was built with "
        "--image-embedder none); to use them, build it again with tagllm index build from all its examples"
    ]


def test_the_index_cached_for_examples_is_built_again_for_another_image_root(tmp_path: Path) -> None:
    # the examples' photos not found beside them (a wrong or missing image_root): the index cached for them was one
    # of texts alone, and the run given the right image_root loaded that same index, its 48 photos never read
    examples = write_examples(tmp_path / "data")
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.move(str(examples), moved / "examples.jsonl")
    settings = {"taxonomy": "demo", "examples": str(moved / "examples.jsonl"), "k": 5}
    without = Tagger.from_config(TaggerConfig(**settings))
    assert without.index is not None and without.index.images is None
    found = Tagger.from_config(TaggerConfig(**settings, image_root=str(tmp_path / "data")))
    assert found.index is not None and found.index.images is not None and len(found.index.images) == 48


def _photo_neighbours(tagger: Tagger, example: str) -> set[str]:
    """The kinds and colours of the 3 examples whose photos' colours are nearest ``example``'s in ``tagger``'s index."""
    index = tagger.index
    assert index is not None and index.images is not None
    ids = [e.id for e in index.examples]
    vector = index.images.views["colour"][index.images.position[ids.index(example)]]
    found = index.images.search("colour", vector[None], 4).ids[0]
    return {ids[i].rsplit("-", 1)[0] for i in found if ids[i] != example}


def test_the_index_cached_for_examples_is_built_again_once_one_of_their_photos_is_edited_in_place(
    tmp_path: Path,
) -> None:
    # the red dress's photo redrawn as a blue shoe under the same name: the examples file unchanged, the next run
    # loaded the cached index, the old photo's vectors and all, without a word
    examples = write_examples(tmp_path)
    settings = {"taxonomy": "demo", "examples": str(examples), "k": 5}
    assert _photo_neighbours(Tagger.from_config(TaggerConfig(**settings)), "dress-color-red-0") == {"dress-color-red"}
    draw(tmp_path / "photos" / "dress-color-red-0.jpg", "shoe", COLOURS["color-blue"])
    assert _photo_neighbours(Tagger.from_config(TaggerConfig(**settings)), "dress-color-red-0") == {"shoe-color-blue"}


def test_a_config_naming_an_index_and_its_examples_refuses_the_index_once_a_photo_is_edited(tmp_path: Path) -> None:
    # the examples' bytes unchanged, one photo redrawn in place: the index was loaded with its old vectors, unsaid
    examples = write_examples(tmp_path)
    settings = {"taxonomy": "demo", "examples": str(examples), "index": str(tmp_path / "idx"), "k": 5}
    Tagger.from_config(TaggerConfig(**settings))  # built
    Tagger.from_config(TaggerConfig(**settings))  # loaded: nothing changed
    photo = tmp_path / "photos" / "dress-color-red-0.jpg"
    draw(photo, "shoe", COLOURS["color-blue"])
    with pytest.raises(ConfigError) as refused:
        Tagger.from_config(TaggerConfig(**settings))
    assert str(refused.value) == (
        f"1 photo(s) of the examples {examples} were edited, added or removed after the index {tmp_path / 'idx'} was "
        f"built from them ({photo}), and it holds their vectors as they were; build it again: tagllm index build "
        f"{examples} --index {tmp_path / 'idx'} (and add again what tagllm index add added since), or leave examples "
        "out of the settings to use the index as it is"
    )


def test_index_add_records_the_photos_of_the_examples_the_index_holds_now(tmp_path: Path) -> None:
    # the red dress reviewed with a photo of its own: the index's record of its examples' photos still listed the
    # old one, so redrawing it refused the index though it no longer used it, and redrawing the new one went unsaid
    from typer.testing import CliRunner

    from tagllm.cli import app

    examples = write_examples(tmp_path)
    index = tmp_path / "idx"
    settings = {"taxonomy": "demo", "examples": str(examples), "index": str(index), "k": 5}
    Tagger.from_config(TaggerConfig(**settings))  # built
    new_photo = draw(tmp_path / "blue-dress.jpg", "dress", COLOURS["color-blue"], jitter=2)
    review = tmp_path / "review.jsonl"
    labels = {"category": ["apparel-dresses"], "color": ["color-blue"]}
    row = {"id": "dress-color-red-0", "title": "Summer dress", "images": ["blue-dress.jpg"], "labels": labels}
    review.write_text(json.dumps(row) + "\n")
    added = CliRunner().invoke(app, ["index", "add", str(review), "-i", str(index)])
    assert added.exit_code == 0, added.output
    draw(tmp_path / "photos" / "dress-color-red-0.jpg", "shoe", COLOURS["color-green"])  # no example's photo now
    assert Tagger.from_config(TaggerConfig(**settings)).index is not None
    draw(new_photo, "shoe", COLOURS["color-green"])
    with pytest.raises(ConfigError, match=r"^1 photo\(s\) of the examples .* \(" + str(new_photo) + r"\)"):
        Tagger.from_config(TaggerConfig(**settings))


def test_the_index_cached_for_examples_is_another_for_the_same_file_beside_other_photos(tmp_path: Path) -> None:
    # the same examples file copied without its photos, then tagged with beside them: the run beside them loaded
    # the index cached for the copy, of texts alone, its 48 photos never read, without a word
    with_photos = write_examples(tmp_path / "with")
    (tmp_path / "without").mkdir()
    copy = shutil.copy(with_photos, tmp_path / "without" / "examples.jsonl")
    without = Tagger.from_config(TaggerConfig(taxonomy="demo", examples=str(copy), k=5))
    assert without.index is not None and without.index.images is None
    found = Tagger.from_config(TaggerConfig(taxonomy="demo", examples=str(with_photos), k=5))
    assert found.index is not None and found.index.images is not None and len(found.index.images) == 48


def test_index_add_shows_the_photos_encoded_as_a_stage_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_a_terminal: Callable[[str], None]
) -> None:
    """`index add` to an index that has photos read and encoded the added examples' photos (seconds each batch with a
    CLIP encoder) under 'embedding examples' on a terminal, a line saying the texts were being embedded."""
    from typer.testing import CliRunner

    from tagllm.cli import app

    examples = write_examples(tmp_path / "data")
    lines = examples.read_text().splitlines()
    first, rest = tmp_path / "data" / "first.jsonl", tmp_path / "data" / "rest.jsonl"
    first.write_text("\n".join(lines[:40]) + "\n")
    rest.write_text("\n".join(lines[40:]) + "\n")
    index = str(tmp_path / "idx")
    monkeypatch.chdir(tmp_path)  # not the project's tagllm.yaml
    runner = CliRunner()
    assert runner.invoke(app, ["index", "build", str(first), "-i", index, "-t", "demo", "-q"]).exit_code == 0
    on_a_terminal("tagllm.cli.index")
    added = runner.invoke(app, ["index", "add", str(rest), "-i", index])
    assert added.exit_code == 0, added.output
    assert added.stdout.startswith(f"{index}: added 8, replaced 0")
    shown = [line.split("\r")[-1] for line in added.stderr.split("\n")]
    assert shown[:5] == [
        "loading the taxonomy", "loading the example index", "reading the examples",
        "reading and encoding the examples' photos", "embedding examples",
    ]  # fmt: skip
    assert shown[5].startswith("fitting the candidate scorer") and shown[6:] == [""]


def test_index_add_keeps_the_photo_of_an_example_whose_review_gives_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A review file of 3 examples' ids, titles and labels (no images column) replaced them and dropped their photos
    without a word: 'added 0, replaced 3, 0 unchanged', and the index's photos went from 48 to 45."""
    from typer.testing import CliRunner

    from tagllm.cli import app
    from tagllm.taxonomy import load_taxonomy

    examples = write_examples(tmp_path / "data")
    rows = [json.loads(line) for line in examples.read_text().splitlines()[:3]]
    rows[0]["labels"]["color"] = ["color-blue"]  # a corrected label: replaced, its photo kept
    for row in rows:
        del row["images"]
    (tmp_path / "review.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    monkeypatch.chdir(tmp_path)  # not the project's tagllm.yaml
    runner = CliRunner()
    assert runner.invoke(app, ["index", "build", str(examples), "-i", "idx", "-t", "demo", "-q"]).exit_code == 0
    added = runner.invoke(app, ["index", "add", "review.jsonl", "-i", "idx"])
    assert added.exit_code == 0, added.output
    assert added.stdout.splitlines() == [
        "kept the photos of 1 replaced example(s) whose review gives none: 'dress-color-red-0'; to change them, give "
        "their images in the review",
        "idx: added 0, replaced 1, 2 unchanged, now 48 examples, 0 record(s) skipped",
    ]
    assert json.loads((tmp_path / "idx" / "manifest.json").read_text())["images"]["count"] == 48
    index = ExampleIndex.load(tmp_path / "idx", taxonomy=load_taxonomy("demo"))
    assert index.examples[0].images == ["photos/dress-color-red-0.jpg"]
    assert index.examples[0].labels["color"] == ["color-blue"]
    # the photo it kept is recorded where it is, so an edit is caught: looked for beside the review, it was recorded
    # as a file not there, and the real one was out of the record
    record = json.loads((tmp_path / "idx" / "example_photos.json").read_text())
    photo = str(tmp_path / "data" / "photos" / "dress-color-red-0.jpg")
    assert record[photo] is not None and str(tmp_path / "photos" / "dress-color-red-0.jpg") not in record


def _cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("name", ["lexical.npz", "lexical_matrix.npz", "image_encoder.npz"])
def test_an_index_whose_npz_file_was_cut_short_is_refused_as_damaged(
    photo_index: Path, demo_taxonomy: Any, tmp_path: Path, name: str
) -> None:
    """An index copied part way (an rsync cut off, a full disk) with one of its zip files cut short: loading it
    crashed with zipfile's "BadZipFile: File is not a zip file" traceback instead of saying to rebuild it."""
    damaged = tmp_path / "index"
    shutil.copytree(photo_index, damaged)
    _cut_short(damaged / name)
    with pytest.raises(IndexMismatchError) as refused:
        ExampleIndex.load(damaged, taxonomy=demo_taxonomy)
    assert str(refused.value).startswith(f"{damaged}: the index is damaged (")
    assert str(refused.value).endswith(f"; rebuild it: tagllm index build EXAMPLES --index {damaged}")


def _fewer_examples(index: Path) -> None:
    lines = (index / "examples.jsonl").read_text().splitlines(keepends=True)
    (index / "examples.jsonl").write_text("".join(lines[:40]))  # wrongly labelled ones deleted by hand


def _fewer_photo_vectors(index: Path) -> None:
    np.save(index / "image_look.npy", np.load(index / "image_look.npy")[:10])


def _rows_of_another_index(index: Path) -> None:
    np.save(index / "image_rows.npy", np.arange(2, 50, dtype=np.int64))


@pytest.mark.parametrize("damage", [_fewer_examples, _fewer_photo_vectors, _rows_of_another_index])
def test_an_index_whose_photo_files_do_not_match_its_examples_is_refused_as_damaged(
    photo_index: Path, demo_taxonomy: Any, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    """Photo files that do not agree with the examples (examples.jsonl edited by hand, a file from another build)
    loaded, or crashed the load with numpy's IndexError, and the first search with "matmul: dimension mismatch"."""
    damaged = tmp_path / "index"
    shutil.copytree(photo_index, damaged)
    damage(damaged)
    with pytest.raises(IndexMismatchError) as refused:
        ExampleIndex.load(damaged, taxonomy=demo_taxonomy)
    assert str(refused.value).startswith(f"{damaged}: the index is damaged (")
    assert str(refused.value).endswith(f"; rebuild it: tagllm index build EXAMPLES --index {damaged}")


def test_an_index_whose_image_encoder_is_another_builds_is_refused(
    photo_index: Path, demo_taxonomy: Any, tmp_path: Path
) -> None:
    damaged = tmp_path / "index"
    shutil.copytree(photo_index, damaged)
    with np.load(damaged / "image_encoder.npz") as fitted:
        mean, scale, components = fitted["mean"], fitted["scale"], fitted["components"]
    np.savez(damaged / "image_encoder.npz", mean=mean, scale=scale, components=components[:, :5])
    look = json.loads((damaged / "manifest.json").read_text())["images"]["encoder"]["dims"]["look"]
    with pytest.raises(IndexMismatchError) as refused:
        ExampleIndex.load(damaged, taxonomy=demo_taxonomy)
    assert str(refused.value) == (
        f"{damaged}: the index's image encoder (image_encoder.npz) is not the one its photos were encoded by (its "
        f"dimensions: look 5, colour 648; the photos': look {look}, colour 648); rebuild the index"
    )


def test_an_index_whose_clip_directory_is_gone_or_holds_another_model_is_refused_before_the_first_product(
    tiny_clip: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    """The model directory a CLIP index was built with, replaced by another model (a newer CLIP of other
    dimensions): tagging crashed in FAISS (a bare AssertionError) at the first product with a photo, and index add
    with numpy's vstack. Removed: the Tagger was built, and the first batch stopped on "image embedder …: no such
    directory", a directory the user never named."""
    import transformers

    clip = tmp_path / "clip"
    shutil.copytree(tiny_clip, clip)
    examples = write_examples(tmp_path / "data")
    build_index(examples, demo_taxonomy, embedder, tmp_path / "index", image_embedder=str(clip))
    config = transformers.CLIPConfig.from_pretrained(clip)
    config.projection_dim = 24
    transformers.CLIPModel(config).save_pretrained(clip)
    index = ExampleIndex.load(tmp_path / "index", taxonomy=demo_taxonomy)
    replaced = (
        f"{tmp_path / 'index'}: its examples' photos were encoded by the image embedder {clip} (look 16, colour 648), "
        "and that directory now holds another model (look 24, colour 648); put back the model it was built with, or "
        "build the index again (tagllm index build)"
    )
    with pytest.raises(IndexMismatchError) as refused:
        Tagger(demo_taxonomy, index=index, embedder=embedder)
    assert str(refused.value) == replaced + "; to tag without photos: --image-embedder none"
    draw(tmp_path / "red-dress.jpg", "dress", COLOURS["color-red"])
    reviewed = LabelledProduct(id="new", title="Summer dress", images=[str(tmp_path / "red-dress.jpg")],
                               labels={"category": ["apparel-dresses"]})  # fmt: skip
    with pytest.raises(IndexMismatchError) as refused:
        index.add([reviewed], embedder)
    assert str(refused.value) == replaced
    shutil.rmtree(clip)
    index = ExampleIndex.load(tmp_path / "index", taxonomy=demo_taxonomy)
    with pytest.raises(IndexMismatchError) as refused:
        Tagger(demo_taxonomy, index=index, embedder=embedder)
    assert str(refused.value) == (
        f"{tmp_path / 'index'}: its examples' photos were encoded by the image embedder {clip}, which is not there any "
        "more; put back the model it was built with, or build the index again (tagllm index build); to tag without "
        "photos: --image-embedder none"
    )


def test_an_index_whose_clip_directory_holds_another_model_of_the_same_width_is_refused_before_the_first_product(
    tiny_clip: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    """Only the model's dimensions were checked: a CLIP of the same width put in its place (a fine-tuned one saved
    over the original) was taken, and every product's photo searched among vectors of another model."""
    from tagllm.testing import build_clip

    clip = tmp_path / "clip"
    shutil.copytree(tiny_clip, clip)
    build_index(write_examples(tmp_path / "data"), demo_taxonomy, embedder, tmp_path / "index",
                image_embedder=str(clip))  # fmt: skip
    Tagger(demo_taxonomy, index=ExampleIndex.load(tmp_path / "index", taxonomy=demo_taxonomy), embedder=embedder)
    shutil.rmtree(clip)
    build_clip(clip, ["a product photo"], seed=1)
    index = ExampleIndex.load(tmp_path / "index", taxonomy=demo_taxonomy)
    with pytest.raises(IndexMismatchError) as refused:
        Tagger(demo_taxonomy, index=index, embedder=embedder)
    assert str(refused.value) == (
        f"{tmp_path / 'index'}: its examples' photos were encoded by the image embedder {clip}, and that directory now "
        "holds another model of the same dimensions (its vector of a test photo is not the one recorded); put back "
        "the model it was built with, or build the index again (tagllm index build); to tag without photos: "
        "--image-embedder none"
    )


def test_image_embedder_none_tags_over_an_index_whose_clip_directory_is_gone(
    tiny_clip: Path, demo_taxonomy: Any, embedder: Any, tmp_path: Path
) -> None:
    """--image-embedder none (photos ignored), the way on that the refusal of an index whose CLIP model is gone
    names: the scorer still made the model's text embedding of every label, so the first batch stopped on "image
    embedder …: no such directory" (the labels' cache did not help: it is looked up by the model's width)."""
    clip = tmp_path / "clip"
    shutil.copytree(tiny_clip, clip)
    examples = write_examples(tmp_path / "data")
    build_index(examples, demo_taxonomy, embedder, tmp_path / "index", image_embedder=str(clip))
    shutil.rmtree(clip)
    draw(tmp_path / "red-dress.jpg", "dress", COLOURS["color-red"])
    index = ExampleIndex.load(tmp_path / "index", taxonomy=demo_taxonomy)
    tagger = Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(image_embedder="none"))
    (result,) = tagger.tag([{"id": "p", "title": "Summer dress", "images": [str(tmp_path / "red-dress.jpg")]}])
    assert result.status == "ok" and result.best("category").id == "apparel-dresses"  # type: ignore[union-attr]
    assert result.provenance.images == []  # type: ignore[union-attr]


def test_an_image_embedder_directory_that_is_no_clip_model_stops_index_build_before_the_texts_are_embedded(
    demo_taxonomy: Any, embedder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--image-embedder naming the text embedder's directory, or a CLIP model without transformers installed: the
    build embedded every example's text (minutes for a large catalogue), read the first photos, and only then said
    the directory is no CLIP model."""
    embedded: list[int] = []
    encode = embedder.encode

    def counted(texts: list[str], **options: Any) -> Any:
        embedded.append(len(texts))
        return encode(texts, **options)

    monkeypatch.setattr(embedder, "encode", counted)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ConfigError, match=r"^image embedder '.*model': not a CLIP or SigLIP model"):
        build_index(write_examples(tmp_path / "data"), demo_taxonomy, embedder, tmp_path / "index",
                    image_embedder=str(tmp_path / "model"))  # fmt: skip
    assert embedded == [] and not (tmp_path / "index" / "manifest.json").exists()


def test_index_build_says_in_its_summary_that_none_of_the_listed_photos_could_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Examples whose photos lie elsewhere than their relative paths start (no --image-root): the index was built of
    texts alone, and the summary said nothing of photos; only stderr, among its "photo not used" lines, told."""
    from typer.testing import CliRunner

    from tagllm.cli import app

    examples = write_examples(tmp_path / "data")
    moved = tmp_path / "elsewhere" / "examples.jsonl"
    moved.parent.mkdir()
    examples.rename(moved)
    monkeypatch.chdir(tmp_path)  # not the project's tagllm.yaml
    built = CliRunner().invoke(app, ["index", "build", str(moved), "-i", "idx", "-t", "demo", "-q"])
    assert built.exit_code == 0, built.output
    assert built.stdout.startswith(
        "idx: 48 examples (flat search), no photo (none of the 48 examples that list one could be read: photo not "
        "used, above; relative paths start beside the examples file, or at --image-root), facets category, color, "
    )
    assert built.stderr.startswith("photo not used: example 'dress-color-red-0': photos/dress-color-red-0.jpg: no such")

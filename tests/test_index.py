"""The example index: exact and HNSW search agree on near-duplicates, save/load keeps everything, add grows it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tagllm.errors import IndexMismatchError, OutputError
from tagllm.retrieval.index import ExampleIndex, read_examples, top_k
from tagllm.retrieval.index_manifest import FORMAT_VERSION

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("threshold", [10_000, 1])  # exact search, then HNSW for the same examples
def test_search_finds_the_near_duplicate_after_a_round_trip(tmp_path, demo_taxonomy, embedder, threshold) -> None:  # type: ignore[no-untyped-def]
    examples, errors = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    assert errors == []
    index = ExampleIndex.build(examples, demo_taxonomy, embedder, hnsw_threshold=threshold)
    assert index.manifest["faiss"] == ("flat" if threshold > 1 else "hnsw")
    index.save(tmp_path / "idx")
    loaded = ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy, embedder=embedder.name)
    query = embedder.encode(["Women's white canvas sneakers"])
    hits = loaded.search(query, 3)
    assert loaded.examples[int(hits.ids[0][0])].id == "ex-08"
    lexical = loaded.lexical_search(loaded.lexical.transform(["陶瓷茶具"]), 1)
    assert loaded.examples[int(lexical.ids[0][0])].id == "ex-25"


def test_load_refuses_another_embedder(tmp_path, demo_taxonomy, embedder) -> None:  # type: ignore[no-untyped-def]
    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    ExampleIndex.build(examples[:5], demo_taxonomy, embedder).save(tmp_path / "idx")
    expected = f"built with embedder '{embedder.name}', but the embedder in use is 'e5'"
    with pytest.raises(IndexMismatchError, match=re.escape(expected)):
        ExampleIndex.load(tmp_path / "idx", embedder="e5")


def test_load_refuses_an_index_of_another_format_and_says_how_to_rebuild(tmp_path, demo_taxonomy, embedder) -> None:  # type: ignore[no-untyped-def]
    import json

    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    ExampleIndex.build(examples, demo_taxonomy, embedder).save(tmp_path / "idx")
    manifest = tmp_path / "idx" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format": 1}))
    with pytest.raises(IndexMismatchError) as err:
        ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy)
    assert str(err.value) == (
        f"{tmp_path / 'idx'}: index format 1 is not {FORMAT_VERSION} (made by another tagllm version); "
        f"rebuild it: tagllm index build EXAMPLES --index {tmp_path / 'idx'}"
    )


def test_a_repeated_text_is_encoded_once_and_keeps_its_place(embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    texts = ["Red cotton t-shirt", "Ceramic tea set", "Red cotton t-shirt", "白色运动鞋", "Ceramic tea set"]
    expected = embedder.encode(list(dict.fromkeys(texts)))
    seen: list[list[str]] = []
    encoder = embedder.onnx or embedder.model  # ONNX Runtime by default on a CPU, else PyTorch
    encode = encoder.encode

    def spy(sentences, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(list(sentences))
        return encode(sentences, **kwargs)

    monkeypatch.setattr(encoder, "encode", spy)
    vectors = embedder.encode(texts)
    assert seen == [["Red cotton t-shirt", "Ceramic tea set", "白色运动鞋"]]
    assert np.allclose(vectors, expected[[0, 1, 0, 2, 1]], atol=1e-6)


def test_top_k_gives_each_rows_largest_scores_first_and_equal_scores_by_column() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.9, 0.2], [0.3, 0.3, 0.1, 0.0, 0.7]], dtype=np.float32)
    values, columns = top_k(scores, 3)
    assert columns.tolist() == [[1, 3, 2], [4, 0, 1]]
    assert np.array_equal(values, np.take_along_axis(scores, columns, axis=1))
    values, columns = top_k(scores, 9)  # more than there are: every column, sorted
    assert columns.tolist() == [[1, 3, 2, 4, 0], [4, 0, 1, 2, 3]]
    assert top_k(scores, 0)[1].shape == (2, 0)
    wide = np.random.default_rng(7).random((50, 400)).astype(np.float32)
    values, columns = top_k(wide, 20)
    assert np.array_equal(values, -np.sort(-wide, axis=1)[:, :20])
    assert np.array_equal(np.take_along_axis(wide, columns, axis=1), values)


def test_an_add_interrupted_while_saving_leaves_the_index_as_it_was(  # type: ignore[no-untyped-def]
    tmp_path, demo_taxonomy, embedder, monkeypatch
) -> None:
    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    ExampleIndex.build(examples[:25], demo_taxonomy, embedder).save(tmp_path / "idx")
    files = sorted(p.name for p in (tmp_path / "idx").iterdir())
    index = ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy, embedder=embedder.name)
    index.add(examples[25:], embedder)

    def interrupted(*args: object, **kwargs: object) -> None:  # Ctrl-C after the FAISS index, before its vectors
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(np, "save", interrupted)
        with pytest.raises(KeyboardInterrupt):
            index.save(tmp_path / "idx")
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == files
    before = ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy, embedder=embedder.name)
    assert len(before) == 25 and before.search(embedder.encode(["Ceramic tea set"]), 30).ids.max() < 25
    index.save(tmp_path / "idx")
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == files
    assert len(ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy, embedder=embedder.name)) == 30


def test_a_rebuild_interrupted_before_its_scorer_is_written_leaves_the_index_as_it_was(  # type: ignore[no-untyped-def]
    tmp_path, demo_taxonomy, embedder, monkeypatch
) -> None:
    """build_index wrote scorer.json after the index's files and manifest: a rebuild killed between the two left the
    new index with the scorer fitted on the old examples (or, in a new directory, none), which loaded and tagged."""
    from tagllm.assembly import build_index
    from tagllm.candidates.scorer import CandidateScorer

    lines = (DATA / "demo_examples.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "old.jsonl").write_text("".join(lines[:25]))
    build_index(tmp_path / "old.jsonl", demo_taxonomy, embedder, tmp_path / "idx", label_field="labels")
    files = {p.name: p.read_bytes() for p in (tmp_path / "idx").iterdir()}

    def interrupted(*args: object, **kwargs: object) -> None:  # Ctrl-C as the scorer is written
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(CandidateScorer, "save", interrupted)
        with pytest.raises(KeyboardInterrupt):
            build_index(DATA / "demo_examples.jsonl", demo_taxonomy, embedder, tmp_path / "idx", label_field="labels")
    assert {p.name: p.read_bytes() for p in (tmp_path / "idx").iterdir()} == files
    build_index(DATA / "demo_examples.jsonl", demo_taxonomy, embedder, tmp_path / "idx", label_field="labels")
    assert len(ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy)) == len(lines)
    assert (tmp_path / "idx" / "scorer.json").read_bytes() != files["scorer.json"]


def test_an_index_built_with_a_relative_embedder_directory_loads_from_anywhere(
    tmp_path: Path, demo_taxonomy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``index build --embedder models/mini`` recorded the path as typed: tagllm generate run from any other directory
    stopped with "embedder 'models/mini': no such directory", a models/mini there (another model) was taken for it,
    and the same model named by its absolute path was refused as another embedder."""
    from tagllm.assembly import build_index, with_index_settings
    from tagllm.config import TaggerConfig
    from tagllm.retrieval.embedder import Embedder, default_model_path

    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "models" / "mini").symlink_to(default_model_path())
    monkeypatch.chdir(project)
    build_index(DATA / "demo_examples.jsonl", demo_taxonomy, Embedder("models/mini", backend="torch"), tmp_path / "idx")
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["embedder"] == str(project / "models" / "mini")
    ExampleIndex.load(tmp_path / "idx", embedder=Embedder(str(project / "models" / "mini"), backend="torch"))
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "models").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    config = with_index_settings(TaggerConfig(index=str(tmp_path / "idx"), embedder_backend="torch"))
    embedder = Embedder.from_config(config)
    ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy, embedder=embedder)
    assert embedder.encode(["a red shirt"]).shape == (1, 384)
    (elsewhere / "models" / "mini").symlink_to(default_model_path())  # another model at the same relative path
    with pytest.raises(IndexMismatchError, match="built with embedder"):
        ExampleIndex.load(tmp_path / "idx", embedder=Embedder("models/mini", backend="torch"))


def test_add_given_an_id_twice_adds_the_later_example_and_returns_the_earlier_as_repeated(  # type: ignore[no-untyped-def]
    demo_taxonomy, embedder
) -> None:
    # three examples, one id twice: 'added 2', the T-shirt label gone without a word (the CLI names such a record)
    from tagllm.models import LabelledProduct

    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    index = ExampleIndex.build(examples[:25], demo_taxonomy, embedder)
    tee = LabelledProduct(id="new-1", title="Linen summer shirt", labels={"category": ["apparel-tshirts"]})
    scarf = LabelledProduct(id="new-2", title="Wool scarf", labels={"category": ["apparel-shirts"]})
    shirt = tee.model_copy(update={"labels": {"category": ["apparel-shirts"]}})
    counts = index.add([tee, scarf, shirt], embedder)
    assert (counts.added, counts.replaced, counts.unchanged, len(index)) == (2, 0, 0, 27)
    assert [(r.line, r.record_id, r.message) for r in counts.repeated] == [
        (1, "new-1", "batch:1: id 'new-1' is given again at batch:3, whose example is kept")
    ]
    assert [e.labels for e in index.examples if e.id == "new-1"] == [{"category": ["apparel-shirts"]}]


def test_build_given_an_id_twice_builds_the_later_example_and_names_the_earlier(  # type: ignore[no-untyped-def]
    demo_taxonomy, embedder
) -> None:
    # both were kept and both labels voted under one id (the CLI's reader already kept the later one alone)
    from tagllm.models import LabelledProduct

    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    tee = LabelledProduct(id="new-1", title="Linen summer shirt", labels={"category": ["apparel-tshirts"]})
    shirt = tee.model_copy(update={"labels": {"category": ["apparel-shirts"]}})
    index = ExampleIndex.build([*examples[:5], tee, shirt], demo_taxonomy, embedder)
    assert len(index) == 6
    assert [e.labels for e in index.examples if e.id == "new-1"] == [{"category": ["apparel-shirts"]}]
    assert [(r.line, r.record_id) for r in index.repeated] == [(6, "new-1")]
    assert ExampleIndex.build(examples[:5], demo_taxonomy, embedder).repeated == []


def test_an_empty_label_cell_names_its_row_and_says_the_cell_is_empty(tmp_path, demo_taxonomy) -> None:  # type: ignore[no-untyped-def]
    # it said "no 'gold_category'", as for a file without that column: the user looked for a missing column
    source = tmp_path / "examples.csv"
    source.write_text("title,gold_category\nBlue denim jeans,apparel-jeans\nSteel pot,\nWool scarf,  \n")
    examples, errors = read_examples(source, demo_taxonomy, label_field="gold_category")
    assert [e.title for e in examples] == ["Blue denim jeans"]
    assert [(e.line, e.field, e.message) for e in errors] == [
        (
            line,
            "gold_category",
            f"{source}:{line}: the 'gold_category' cell is empty; a labelled example needs tags, so this row is left "
            "out of the index",
        )
        for line in (3, 4)
    ]


def test_a_null_or_blank_facet_value_labels_nothing_and_the_example_is_kept(tmp_path, demo_taxonomy) -> None:  # type: ignore[no-untyped-def]
    # pandas writes a missing cell as null: each such example was skipped whole, "color label 'None' is not a value
    # of the taxonomy" (a tag nobody wrote), 4 of these 5 records lost
    source = tmp_path / "examples.jsonl"
    records = [
        {"id": "a1", "title": "Red cotton tee", "labels": {"category": "apparel-tshirts", "color": None}},
        {"id": "a2", "title": "Blue jeans", "labels": {"category": ["apparel-jeans"], "color": ""}},
        {"id": "a3", "title": "Black phone", "labels": {"category": ["electronics-phones"], "color": [None, " "]}},
        {"id": "a4", "title": "Gold ring", "gold": ["jewellery-rings", None]},
        {"id": "a5", "title": "Nothing known", "labels": {"color": None}},
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    examples, errors = read_examples(source, demo_taxonomy)
    assert {e.id: e.labels for e in examples} == {
        "a1": {"category": ["apparel-tshirts"]},
        "a2": {"category": ["apparel-jeans"]},
        "a3": {"category": ["electronics-phones"]},
    }
    assert [e.message for e in errors] == [
        f"{source}:4: record 'a4': no 'labels' field; a labelled example needs tags, so this record is left out of "
        "the index",
        f"{source}:5: record 'a5': no tag in 'labels'; a labelled example needs tags, so this record is left out of "
        "the index",
    ]
    examples, errors = read_examples(source, demo_taxonomy, label_field="gold")
    assert [(e.id, e.labels) for e in examples] == [("a4", {"category": ["jewellery-rings"]})]


def test_an_index_that_a_full_disk_stops_writing_is_said_and_leaves_the_one_there(  # type: ignore[no-untyped-def]
    tmp_path, demo_taxonomy, embedder, monkeypatch
) -> None:
    # the disk filled up while the index was written: `index build`, `index add` and generate caching the index built
    # for --examples all crashed, exit 3, "tagllm crashed (a bug …)" with an OSError traceback
    import errno

    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger

    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    ExampleIndex.build(examples[:25], demo_taxonomy, embedder).save(tmp_path / "idx")
    index = ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy, embedder=embedder.name)
    index.add(examples[25:], embedder)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    with pytest.raises(OutputError) as stopped:
        index.save(tmp_path / "idx")
    assert str(stopped.value) == (
        f"{tmp_path / 'idx'}: the index could not be written (No space left on device); the index there, if any, is "
        "as it was: free some space, or write it elsewhere"
    )
    assert len(ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy, embedder=embedder.name)) == 25
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(OutputError) as stopped:
        Tagger.from_config(TaggerConfig(taxonomy="demo", examples=str(DATA / "demo_examples.jsonl")))
    assert str(stopped.value).startswith(f"{tmp_path / 'cache' / 'indexes'}/")
    assert str(stopped.value).endswith(
        ": the index could not be written (No space left on device); the index there, if any, is as it was: free "
        f"some space, or write it elsewhere (it is the index cached for the examples {DATA / 'demo_examples.jsonl'}: "
        "set TAGLLM_CACHE_DIR to another directory, or name one to keep it in with --index)"
    )


def test_runs_saving_one_index_at_once_each_finish_and_leave_it_whole(  # type: ignore[no-untyped-def]
    tmp_path, demo_taxonomy, embedder
) -> None:
    # two runs building the index cached for the same --examples at once (the workers of a distributed run) shared
    # one staging folder, each removing the other's files: 36 of 40 saves on 4 threads failed ("File exists",
    # "No such file or directory"), an OSError traceback each
    import os
    import threading
    import time

    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    index = ExampleIndex.build(examples, demo_taxonomy, embedder)
    target = tmp_path / "idx"
    killed = target / ".saving-killed"  # a save killed long ago left its folder
    killed.mkdir(parents=True)
    (killed / "vectors.npy").write_bytes(b"x" * 1000)
    os.utime(killed, (time.time() - 7200, time.time() - 7200))
    errors: list[BaseException] = []

    def save() -> None:
        for _ in range(5):
            try:
                index.save(target)
            except BaseException as exc:  # collected: a thread's exception does not fail the test by itself
                errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ExampleIndex.load(target, taxonomy=demo_taxonomy, embedder=embedder.name)) == 30
    assert [p.name for p in target.iterdir() if p.name.startswith(".")] == [".writing.lock"]  # no staging folder


def test_examples_labelled_with_the_taxonomys_chinese_labels_resolve(tmp_path, demo_taxonomy) -> None:  # type: ignore[no-untyped-def]
    # the demo taxonomy calls Dresses 连衣裙 (zh-CN): a Chinese team's examples labelled so were every one refused
    # ("category label '服装 > 连衣裙' is not a value of the taxonomy"), and index build found no usable example
    labels = [
        "服装 > 连衣裙",
        "连衣裙",
        "服装／连衣裙",
        "电子产品 > 手机配件 > 手机壳",
        "鞋类>运动鞋",
        "Apparel > Dresses",
    ]
    source = tmp_path / "zh.jsonl"
    rows = [{"id": f"e{i}", "title": "商品", "gold_category": label} for i, label in enumerate(labels)]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    examples, errors = read_examples(source, demo_taxonomy, label_field="gold_category")
    assert errors == []
    assert [e.labels["category"] for e in examples] == [
        ["apparel-dresses"],
        ["apparel-dresses"],
        ["apparel-dresses"],
        ["electronics-cases"],
        ["footwear-sneakers"],
        ["apparel-dresses"],
    ]


def test_a_program_saving_an_index_another_saved_since_it_loaded_it_is_refused(  # type: ignore[no-untyped-def]
    tmp_path, demo_index_dir, demo_taxonomy, embedder
) -> None:
    # two programs each loaded the 30-example index, added 5 examples and saved in turn: the index ended with 35,
    # the first's 5 lost, both saves without a word
    import shutil

    from tagllm.models import LabelledProduct

    target = tmp_path / "idx"
    shutil.copytree(demo_index_dir, target)
    first, second = (ExampleIndex.load(target, taxonomy=demo_taxonomy) for _ in range(2))
    for index, reviewer in ((first, "a"), (second, "b")):
        labels = {"category": ["apparel-dresses"]}
        reviewed = [LabelledProduct(id=f"{reviewer}-{i}", title=f"Dress {i}", labels=labels) for i in range(5)]
        index.add(reviewed, embedder)
    first.save(target)
    first.save(target)  # its own save is no other run's
    with pytest.raises(OutputError, match="another run saved this index after this one loaded it"):
        second.save(target)
    assert {e.id for e in ExampleIndex.load(target).examples} >= {f"a-{i}" for i in range(5)}


def _tiny_sentence_model(directory: Path, width: int) -> Path:
    """A random-weight BERT sentence-transformers model of ``width`` dimensions, with the default model's tokenizer."""
    import shutil

    import transformers
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers before 6
        from sentence_transformers.models import Pooling, Transformer  # type: ignore[no-redef]

    from tagllm.retrieval.embedder import default_model_path

    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    config = transformers.BertConfig(
        vocab_size=30522, hidden_size=width, num_hidden_layers=1, num_attention_heads=2, intermediate_size=2 * width
    )
    transformers.BertModel(config).save_pretrained(directory)
    for file in Path(default_model_path()).iterdir():
        if file.is_file() and ("token" in file.name or file.name == "vocab.txt"):
            shutil.copy(file, directory / file.name)
    modules = [Transformer(str(directory)), Pooling(width)]
    SentenceTransformer(modules=modules, device="cpu").save(str(directory))
    return directory


def test_an_index_whose_embedder_directory_now_holds_a_model_of_another_width_is_refused(
    tmp_path: Path, demo_taxonomy: Any
) -> None:
    """The embedder's directory given a new model of another width (models/embedder swapped for a larger one):
    tagging crashed at the first product, "matmul: Input operand 1 has a mismatch in its core dimension"."""
    from tagllm.retrieval.embedder import Embedder
    from tagllm.tagger import Tagger

    model = _tiny_sentence_model(tmp_path / "embedder", 32)
    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    ExampleIndex.build(examples, demo_taxonomy, Embedder(str(model), backend="torch")).save(tmp_path / "idx")
    _tiny_sentence_model(model, 16)
    embedder = Embedder(str(model), backend="torch")
    index = ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy, embedder=embedder)
    with pytest.raises(IndexMismatchError) as refused:
        Tagger(demo_taxonomy, index=index, embedder=embedder)
    assert str(refused.value) == (
        f"{tmp_path / 'idx'}: built with embedder {str(model)!r}, whose vectors had 32 dimensions; that directory now "
        "holds a model of 16: put back the model the index was built with, or rebuild the index (tagllm index build)"
    )


def test_an_index_built_with_a_sparse_embedder_is_taken_by_that_embedder(tmp_path: Path, demo_taxonomy: Any) -> None:
    # the identity check read the test text's first 16 components, all 0 for the hashing embedder's sparse vector:
    # their cosine was 0 and every index built with it was refused as another model's
    from tagllm.retrieval.index_manifest import probe
    from tagllm.tagger import Tagger
    from tagllm.testing.hashing import hashing_embedder

    assert any(probe(hashing_embedder(256)))
    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    ExampleIndex.build(examples, demo_taxonomy, hashing_embedder(256)).save(tmp_path / "idx")
    embedder = hashing_embedder(256)
    Tagger(demo_taxonomy, index=ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy), embedder=embedder)


def test_an_index_whose_embedder_directory_now_holds_another_model_of_the_same_width_is_refused(
    tmp_path: Path, demo_taxonomy: Any
) -> None:
    """Only the width was checked: a model fine-tuned and saved over the one the index was built with was taken, and
    every product searched among vectors of another model."""
    from tagllm.retrieval.embedder import Embedder
    from tagllm.tagger import Tagger

    model = _tiny_sentence_model(tmp_path / "embedder", 32)
    examples, _ = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    ExampleIndex.build(examples, demo_taxonomy, Embedder(str(model), backend="torch")).save(tmp_path / "idx")
    embedder = Embedder(str(model), backend="torch")
    Tagger(demo_taxonomy, index=ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy), embedder=embedder)
    _tiny_sentence_model(model, 32)
    embedder = Embedder(str(model), backend="torch")
    index = ExampleIndex.load(tmp_path / "idx", taxonomy=demo_taxonomy, embedder=embedder)
    with pytest.raises(IndexMismatchError) as refused:
        Tagger(demo_taxonomy, index=index, embedder=embedder)
    assert str(refused.value) == (
        f"{tmp_path / 'idx'}: built with embedder {str(model)!r}; that directory now holds another model of the same "
        "width (its vector of a test text is not the one recorded): put back the model the index was built with, or "
        "rebuild the index (tagllm index build)"
    )


def test_examples_without_the_label_field_name_the_fields_they_have(tmp_path: Path, demo_taxonomy) -> None:  # type: ignore[no-untyped-def]
    # --label-field gold for a file whose tags are under 'labels': "no usable labelled examples; first problem: …:1:
    # no 'gold'; a labelled example needs tags", and nothing said which field the tags were in
    from tagllm.errors import InputError

    source = tmp_path / "examples.jsonl"
    source.write_text(json.dumps({"id": "a1", "title": "Red tee", "labels": {"category": ["apparel-tshirts"]}}) + "\n")
    with pytest.raises(InputError) as error:
        read_examples(source, demo_taxonomy, label_field="gold")
    assert str(error.value) == (
        f"{source}: no usable labelled examples; first problem: {source}:1: record 'a1': no 'gold' field; a labelled "
        "example needs tags, so this record is left out of the index; no record has a 'gold' field (their fields: id, "
        "labels, title): name the one holding the tags (--label-field)"
    )


def test_add_to_index_grows_a_saved_index_and_refits_its_scorer_as_index_add_does(  # type: ignore[no-untyped-def]
    tmp_path, demo_taxonomy, embedder
) -> None:
    """A batch job in Python grows a saved index with ``add_to_index``: the examples are added, the scorer fitted
    again on the grown index (as a build over the same examples fits it), a record the file gives twice is named
    among the errors, and the same file added again changes nothing."""
    from tagllm.assembly import build_index
    from tagllm.index_add import add_to_index

    lines = (DATA / "demo_examples.jsonl").read_text().splitlines()
    (tmp_path / "first.jsonl").write_text("\n".join(lines[:20]) + "\n")
    (tmp_path / "rest.jsonl").write_text("\n".join([*lines[20:], lines[20]]) + "\n")  # the 21st given twice
    build_index(tmp_path / "first.jsonl", demo_taxonomy, embedder, tmp_path / "grown")
    build_index(DATA / "demo_examples.jsonl", demo_taxonomy, embedder, tmp_path / "built")
    stages: list[str] = []

    added = add_to_index(
        tmp_path / "rest.jsonl", tmp_path / "grown", demo_taxonomy, embedder,
        progress=lambda stage, done, total: stages.append(stage),
    )  # fmt: skip
    assert (added.counts.added, added.counts.replaced, added.size) == (10, 0, 30)
    assert [e.message for e in added.errors] == [
        f"{tmp_path / 'rest.jsonl'}:1: id 'ex-21' is given again on line 11, whose record is kept"
    ]
    assert stages[:2] == ["index", "read"] and "fit" in stages
    scorer = json.loads((tmp_path / "grown" / "scorer.json").read_text())
    assert "category" in scorer and scorer == json.loads((tmp_path / "built" / "scorer.json").read_text())
    assert len(ExampleIndex.load(tmp_path / "grown", taxonomy=demo_taxonomy)) == 30
    again = add_to_index(tmp_path / "rest.jsonl", tmp_path / "grown", demo_taxonomy, embedder)
    assert (again.counts.added, again.counts.replaced, again.counts.unchanged) == (0, 0, 10)

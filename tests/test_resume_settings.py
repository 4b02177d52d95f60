"""--resume under settings other than those the output was tagged with is refused, naming what changed, before any
product: rows tagged under the old settings were kept and mixed with rows tagged under the new ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagllm.config import TaggerConfig
from tagllm.errors import InputError
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

TITLES = ["Blue denim jeans", "Gold plated necklace", "Wireless earbuds", "Red summer dress", "Steel cooking pot"]


@pytest.fixture(scope="module")
def index(demo_taxonomy, demo_index_dir, embedder):  # type: ignore[no-untyped-def]
    return ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)


def _tagger(demo_taxonomy, index, embedder, **settings) -> Tagger:  # type: ignore[no-untyped-def]
    config = TaggerConfig(**{"k": 5, "batch_size": 2, **settings})
    return Tagger(demo_taxonomy, index=index, embedder=embedder, config=config)


def _crashed_run(tagger: Tagger, tmp_path: Path, suffix: str) -> tuple[Path, Path]:
    """An output of the first 2 of 5 products, as a run killed after them leaves it."""
    src, out = tmp_path / "in.jsonl", tmp_path / f"out.{suffix}"
    src.write_text("".join(json.dumps({"id": f"p{i}", "title": t}) + "\n" for i, t in enumerate(TITLES)))
    first = tmp_path / "first.jsonl"
    first.write_text("".join(src.read_text().splitlines(keepends=True)[:2]))
    tagger.tag_file(first, out)
    return src, out


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_resume_with_other_facets_is_refused_naming_them(demo_taxonomy, index, embedder, tmp_path, suffix) -> None:  # type: ignore[no-untyped-def]
    src, out = _crashed_run(_tagger(demo_taxonomy, index, embedder, facets=["category"]), tmp_path, suffix)
    before = sorted(p.name for p in tmp_path.iterdir()), out.read_bytes()
    wider = _tagger(demo_taxonomy, index, embedder, facets=["category", "color"])
    with pytest.raises(InputError) as error:
        wider.tag_file(src, out, resume=True)
    assert str(error.value) == (
        f"{out} was written with other settings than this run's: facets category (this run: category, color). "
        "--resume goes on with the settings the output was written with: resume with those, or tag every product "
        f"again with these (run without --resume: it replaces {out}), or write to a new file"
    )
    assert (sorted(p.name for p in tmp_path.iterdir()), out.read_bytes()) == before  # untouched
    assert wider.tag_file(src, out).tagged == 5  # without --resume: every product again, under the new settings


def test_resume_with_another_threshold_and_k_names_both(demo_taxonomy, index, embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src, out = _crashed_run(_tagger(demo_taxonomy, index, embedder), tmp_path, "jsonl")
    with pytest.raises(InputError, match=r"threshold 0.0 \(this run: 0.6\); k 5 \(this run: 7\)\. --resume"):
        _tagger(demo_taxonomy, index, embedder, threshold=0.6, k=7).tag_file(src, out, resume=True)


def test_resume_with_the_same_settings_goes_on(demo_taxonomy, index, embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src, out = _crashed_run(_tagger(demo_taxonomy, index, embedder), tmp_path, "jsonl")
    again = Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5, batch_size=3))
    summary = again.tag_file(src, out, resume=True)  # a batch size is no setting of the tags
    assert (summary.tagged, summary.skipped) == (3, 2)


def test_an_output_without_recorded_settings_resumes_by_product_id(demo_taxonomy, index, embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src, out = _crashed_run(_tagger(demo_taxonomy, index, embedder), tmp_path, "jsonl")
    (tmp_path / ".out.jsonl.settings.json").unlink()  # written before settings were recorded, or moved without them
    summary = _tagger(demo_taxonomy, index, embedder, threshold=0.6).tag_file(src, out, resume=True)
    assert (summary.tagged, summary.skipped) == (3, 2)
    assert not (tmp_path / ".out.jsonl.settings.json").exists()  # it would claim the two earlier rows


def test_an_unreadable_settings_record_is_refused_not_taken_for_none(demo_taxonomy, index, embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # read as no record, a resume under another threshold added its rows to the output's, unchecked, exit 0
    src, out = _crashed_run(_tagger(demo_taxonomy, index, embedder), tmp_path, "jsonl")
    record = tmp_path / ".out.jsonl.settings.json"
    record.write_text(record.read_text()[:40])  # cut off, or edited by hand
    before = out.read_bytes()
    with pytest.raises(InputError) as error:
        _tagger(demo_taxonomy, index, embedder, threshold=0.6).tag_file(src, out, resume=True)
    assert str(error.value) == (
        f"{record}: the record of the settings {out} was tagged under cannot be read (not JSON), so --resume cannot "
        "tell whether this run's are the same; if they are, delete that file and resume (by product id alone), "
        "else run without --resume to tag every product again"
    )
    assert out.read_bytes() == before  # untouched


def test_settings_are_the_encoders_in_use_not_how_they_were_named(demo_taxonomy, index, embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The command line fills the embedder in from the index; a tagger built in Python with the same embedder
    object may leave it unset: the same run, resumed from either, goes on."""
    config = TaggerConfig(k=5, batch_size=2, embedder=embedder.model_name)
    named = Tagger(demo_taxonomy, index=index, embedder=embedder, config=config)
    src, out = _crashed_run(named, tmp_path, "jsonl")
    summary = _tagger(demo_taxonomy, index, embedder).tag_file(src, out, resume=True)
    assert (summary.tagged, summary.skipped) == (3, 2)


def test_resume_with_other_kept_columns_or_provenance_is_refused(demo_taxonomy, index, embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """JSONL rows were mixed: the earlier ones without the kept input columns, the later ones without provenance."""
    tagger = _tagger(demo_taxonomy, index, embedder)
    src, out = _crashed_run(tagger, tmp_path, "jsonl")
    with pytest.raises(InputError, match=r"keep_columns none \(this run: title\); provenance True \(this run: False\)"):
        tagger.tag_file(src, out, resume=True, keep_columns=["title"], provenance=False)


def test_a_csv_output_resumes_with_or_without_no_provenance_which_its_rows_do_not_hold(  # type: ignore[no-untyped-def]
    demo_taxonomy, index, embedder, tmp_path
) -> None:
    """A CSV row holds no provenance, but --no-provenance was recorded: a resume that left it out (or added it) was
    refused, "provenance False (this run: True)", and told to tag every product again."""
    tagger = _tagger(demo_taxonomy, index, embedder)
    src, out = _crashed_run(tagger, tmp_path, "csv")
    before = out.read_bytes()
    summary = tagger.tag_file(src, out, resume=True, provenance=False)
    assert (summary.skipped, summary.tagged) == (2, 3)
    assert out.read_bytes().startswith(before)  # the earlier rows as they were, the others added
    assert tagger.tag_file(src, out, resume=True).skipped == 5


def test_a_settings_record_that_is_a_directory_is_named_and_nothing_is_left_behind(  # type: ignore[no-untyped-def]
    demo_taxonomy, index, embedder, tmp_path
) -> None:
    # a fresh run said "out.jsonl: cannot write the output (Is a directory)", blaming the output, and left the
    # record's .tmp copy beside it
    from tagllm.errors import OutputError
    from tagllm.io.writers import ResultWriter

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"id": f"p{i}", "title": t}) + "\n" for i, t in enumerate(TITLES)))
    out.write_text('{"product_id": "old"}\n')
    record = tmp_path / ".out.jsonl.settings.json"
    record.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OutputError) as error:
        _tagger(demo_taxonomy, index, embedder).tag_file(src, out)
    assert str(error.value) == (
        f"{record}: is a directory, where tagllm keeps the record of the settings {out} is tagged under; "
        "remove or rename it, or write the output elsewhere"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before and out.read_text() == '{"product_id": "old"}\n'
    record.rmdir()  # made a directory after the check, while the models loaded: named when the run begins writing
    writer = ResultWriter(out, facets=["category"], settings={"k": 5})
    record.mkdir()
    with pytest.raises(OutputError, match=rf"^{record}: cannot write the record of the settings {out} is tagged under"):
        writer.open()
    assert sorted(p.name for p in tmp_path.iterdir()) == before and not writer.is_open
    record.rmdir()
    assert _tagger(demo_taxonomy, index, embedder).tag_file(src, out).tagged == 5  # the writer let go of its lock


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_a_fresh_run_killed_as_it_begins_writing_leaves_no_old_rows_under_its_settings(  # type: ignore[no-untyped-def]
    demo_taxonomy, index, embedder, tmp_path, monkeypatch, suffix
) -> None:
    # a JSONL or CSV output was emptied only after the new settings were recorded: killed between the two, it held
    # the 5 rows tagged under threshold 0.0 with a record saying 0.6, and a resume under 0.6 tagged 0, skipped 5
    from tagllm.io.resume import scan_output
    from tagllm.io.writers import ResultWriter

    src, out = _crashed_run(_tagger(demo_taxonomy, index, embedder), tmp_path, suffix)
    assert _tagger(demo_taxonomy, index, embedder).tag_file(src, out, resume=True).tagged == 3  # 5 rows at 0.0
    start = ResultWriter._open

    def killed(writer: ResultWriter) -> None:  # the step after the settings are recorded
        raise KeyboardInterrupt

    monkeypatch.setattr(ResultWriter, "_open", killed)
    with pytest.raises(KeyboardInterrupt):
        _tagger(demo_taxonomy, index, embedder, threshold=0.6).tag_file(src, out)
    monkeypatch.setattr(ResultWriter, "_open", start)
    summary = _tagger(demo_taxonomy, index, embedder, threshold=0.6).tag_file(src, out, resume=True)
    assert (summary.tagged, summary.skipped) == (5, 0)
    assert scan_output(out, suffix).rows == 5


def test_an_output_without_recorded_settings_is_refused_when_its_rows_name_another_taxonomy(  # type: ignore[no-untyped-def]
    demo_taxonomy, embedder, tmp_path
) -> None:
    """An output moved without its settings record (``mv out.jsonl runs/``) and resumed after the taxonomy changed:
    its rows were kept as done and the rest tagged against the new taxonomy, two versions in one output, exit 0."""
    from tagllm.taxonomy.synonyms import add_synonyms

    config = TaggerConfig(k=5, batch_size=2, facets=["category"])
    src, out = _crashed_run(Tagger(demo_taxonomy, embedder=embedder, config=config), tmp_path, "jsonl")
    (tmp_path / ".out.jsonl.settings.json").unlink()
    before = out.read_bytes()
    edited = add_synonyms(demo_taxonomy, {"apparel-jeans": ["dungarees"]})
    with pytest.raises(InputError) as error:
        Tagger(edited, embedder=embedder, config=config).tag_file(src, out, resume=True)
    assert str(error.value) == (
        f"{out}: 2 of its rows (products 'p0', 'p1') were tagged against taxonomy version {demo_taxonomy.version}, "
        f"this run's is {edited.version}, and the record of the settings they were tagged under is not beside it "
        "(written by an older tagllm, or moved without it): resume with the taxonomy they were tagged against, or "
        f"tag every product again with this one (run without --resume: it replaces {out}), or write to a new file"
    )
    assert out.read_bytes() == before  # untouched
    summary = Tagger(demo_taxonomy, embedder=embedder, config=config).tag_file(src, out, resume=True)
    assert (summary.tagged, summary.skipped) == (3, 2)  # the same taxonomy goes on, by product id

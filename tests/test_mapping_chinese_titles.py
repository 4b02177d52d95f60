"""A Chinese listing title whose words are parted by spaces: each word is read on its own, and they must agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.taxonomy import Facet, Taxonomy, Value


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def zh_tree() -> Taxonomy:
    """A small category tree with Chinese labels: a bathroom's shower curtains, suits, lamps and kettles."""
    rows = [
        ("home", "Home & Garden", None, "家居"),
        ("bath", "Bathroom Accessories", "home", "浴室用品"),
        ("curtains", "Shower Curtains", "bath", "浴帘"),
        ("lamps", "Lamps", "home", "灯具"),
        ("floor-lamps", "Floor Lamps", "lamps", "落地灯"),
        ("kettles", "Electric Kettles", "home", "电水壶"),
        ("apparel", "Apparel", None, "服饰"),
        ("suits", "Suits", "apparel", "套装"),
    ]
    values: dict[str, Value] = {}
    for vid, name, parent, zh in rows:
        path = f"{values[parent].path} > {name}" if parent else name
        values[vid] = Value(vid, name, "category", parent, path, labels=(("zh-CN", zh),))
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    return Taxonomy("zh-tree", facets, values, languages=("en", "zh-CN"))


def outcome(m: Mapped) -> tuple[str | None, str | None] | str:
    return (m.value.id, m.method) if m.value else str(m.reason)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a kettle, stainless, for the home, large: the first word names the thing, the others name nothing
        ("不锈钢电水壶 家用 大容量", ("kettles", "zh_head")),
        ("北欧风落地灯 客厅 简约", ("floor-lamps", "zh_head")),
        # a mildew-proof shower curtain, lengthened, a set: joined, the tail 套装 read as Suits; the words disagree
        ("防霉浴帘 加长 套装", "no value of facet 'category' is close enough"),
        ("落地 灯", ("floor-lamps", "translation")),  # a label written with a space is still read whole
        ("防霉浴帘", ("curtains", "zh_head")),
    ],
)
def test_a_title_is_read_word_by_word(text: str, expected: object) -> None:
    m = Mapper(zh_tree(), use_embeddings=False)
    assert outcome(m.map([text], "category")[0]) == expected


def test_a_flat_facets_head_is_not_taken_when_the_words_before_it_stem_to_a_value() -> None:
    """球形云台 is a ball head: 云台 labels Gimbal, but 球形 shares its stem 球 with Ball's label 球型 (型 and 形 both
    say "shape"), so the words before the head say which kind of head it is, and it is no Gimbal. A word before the
    head that stems to no value (全金属, all-metal) leaves the head read as before."""
    rows = [("Ball", "球型"), ("Gimbal", "云台"), ("Fluid", "液体")]
    values = {name.lower(): Value(name.lower(), name, "head-type", labels=(("zh-CN", zh),)) for name, zh in rows}
    facets = {"head-type": Facet("head-type", "Head type")}
    mapper = Mapper(Taxonomy("heads", facets, values, languages=("en", "zh-CN")), use_embeddings=False)
    texts = ["球形云台", "全金属云台", "球型"]
    got = [outcome(m) for m in mapper.map(texts, "head-type")]
    assert got[0] == "no value of facet 'head-type' is close enough"
    assert got[1:] == [("gimbal", "zh_head"), ("ball", "translation")]


def test_words_before_the_head_that_say_how_it_looks_leave_the_head_read() -> None:
    """金属色塑料 is metal-coloured plastic and 缎面丝绸 satin-faced silk: 金属色 and 缎面 stem to Metal and
    Satin, but a colour or surface word describes the head, it names no other value (the stem guard rejected both)."""
    rows = [("Metal", "金属"), ("Plastic", "塑料"), ("Satin", "缎"), ("Silk", "丝绸")]
    values = {name.lower(): Value(name.lower(), name, "material", labels=(("zh-CN", zh),)) for name, zh in rows}
    facets = {"material": Facet("material", "Material")}
    mapper = Mapper(Taxonomy("stuff", facets, values, languages=("en", "zh-CN")), use_embeddings=False)
    got = [outcome(m) for m in mapper.map(["金属色塑料", "缎面丝绸", "金属塑料"], "material")]
    assert got[:2] == [("plastic", "zh_head"), ("silk", "zh_head")]
    assert got[2] == "no value of facet 'material' is close enough"  # 金属 names Metal itself

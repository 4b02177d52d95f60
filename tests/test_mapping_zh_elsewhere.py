"""The zh_elsewhere stage: a Chinese value the facet's labels lack, read through the English name of the value of
another facet that it labels."""

from __future__ import annotations

from tagllm.mapping import Mapped, Mapper
from tagllm.taxonomy import Facet, Taxonomy, Value

COLOURS = [("Black", "黑色"), ("White", "白色"), ("Red", "红色")]
COLOURS += [("Blue", "蓝色"), ("Green", "绿色"), ("Brown", "棕色")]
"""Enough basic colours for a colour facet (``colours.MIN_COLOUR_VALUES``), with their Chinese labels."""


def shop() -> Taxonomy:
    """Two facets that name one thing in two Chinese words, as Shopify's zh-CN files do (each value translated
    where it stands), a colour facet, and a facet whose label of a word is another facet's too."""
    facets = {
        "shape": Facet("shape", "Shape", labels=(("zh-CN", "形状"),)),
        "drinkware-shape": Facet("drinkware-shape", "Drinkware shape", labels=(("zh-CN", "饮具形状"),)),
        "flavor": Facet("flavor", "Flavor", labels=(("zh-CN", "口味"),)),
        "color": Facet("color", "Color", labels=(("zh-CN", "颜色"),)),
        "closure": Facet("closure", "Closure", labels=(("zh-CN", "闭合"),)),
    }
    values = [
        Value("s-round", "Round", "shape", labels=(("zh-CN", "圆头"),)),
        Value("s-square", "Square", "shape", labels=(("zh-CN", "方形"),)),
        Value("d-round", "Round", "drinkware-shape", labels=(("zh-CN", "圆形"),)),
        Value("d-square", "Square", "drinkware-shape", labels=(("zh-CN", "方形"),)),
        Value("f-coffee", "Coffee", "flavor", labels=(("zh-CN", "咖啡"),)),
        Value("f-mint", "Mint", "flavor", labels=(("zh-CN", "薄荷"),)),
        Value("f-tubas", "Tubas", "flavor", labels=(("zh-CN", "大号"),)),  # a label of another sense of the word
        *(Value(f"c-{name.lower()}", name, "color", labels=(("zh-CN", label),)) for name, label in COLOURS),
        Value("k-snap", "Snap", "closure", labels=(("zh-CN", "急钮"),)),
        Value("k-zip", "Zipper", "closure", labels=(("zh-CN", "拉链"),)),
    ]
    return Taxonomy("zh-elsewhere", facets, {v.id: v for v in values}, languages=("en", "zh-CN"))


def outcome(m: Mapped) -> tuple[str | None, str | None] | None:
    return (m.value.id, m.method) if m.value else None


def test_a_word_another_facet_labels_is_read_by_that_values_english_name() -> None:
    m = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    assert outcome(m.map(["圆形"], "shape")[0]) == ("s-round", "zh_elsewhere")  # drinkware's Round: shape's Round


def test_the_name_is_read_by_the_colour_stage_in_a_colour_facet() -> None:
    m = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    assert outcome(m.map(["咖啡色"], "color")[0]) == ("c-brown", "zh_elsewhere")  # coffee colour: the survey's brown


def test_a_name_the_facet_does_not_hold_leaves_the_string_open() -> None:
    m = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    assert m.map(["薄荷"], "closure")[0].value is None  # Mint is no closure
    assert m.map(["大号"], "closure")[0].value is None  # Tubas neither: a word's other sense names nothing here

"""The zh_stem stage: a Chinese attribute value read by its stem, the generic words around it dropped on both sides."""

from __future__ import annotations

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.zh_stems import stems
from tagllm.taxonomy import Facet, Taxonomy, Value


def zh_attribute_shop() -> Taxonomy:
    """Flat facets with Chinese labels written as Shopify writes them: a stem with a generic word around it."""
    facets = {
        "target-gender": Facet("target-gender", "Target gender", labels=(("zh-CN", "目标性别"),)),
        "power-source": Facet("power-source", "Power source", labels=(("zh-CN", "电源"),)),
        "coat-length": Facet("coat-length", "Coat length", labels=(("zh-CN", "大衣长度"),)),
        "flavor": Facet("flavor", "Flavor", labels=(("zh-CN", "口味"),)),
    }
    values = [
        Value("g-female", "Female", "target-gender", labels=(("zh-CN", "女性"),)),
        Value("g-male", "Male", "target-gender", labels=(("zh-CN", "男性"),)),
        Value("g-unisex", "Unisex", "target-gender", labels=(("zh-CN", "男女通用"),)),
        Value("p-rechargeable", "Rechargeable", "power-source", labels=(("zh-CN", "可充电"),)),
        Value("p-battery", "Battery", "power-source", labels=(("zh-CN", "电池"),)),
        Value("l-long", "Long", "coat-length", labels=(("zh-CN", "长"),)),
        Value("l-longline", "Longline", "coat-length", labels=(("zh-CN", "长款"),)),
        Value("f-mint", "Mint", "flavor", labels=(("zh-CN", "薄荷"),)),
    ]
    return Taxonomy("zh-stems", facets, {v.id: v for v in values}, languages=("en", "zh-CN"))


def outcome(m: Mapped) -> tuple[str | None, str | None] | str:
    """What a user sees of one mapping: (id, method), or the rejection reason."""
    return (m.value.id, m.method) if m.value else str(m.reason)


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("target-gender", "女士", ("g-female", "zh_stem")),  # lady: 女 + person, the label 女 + -ness
        ("target-gender", "男款", ("g-male", "zh_stem")),  # men's style
        ("power-source", "充电型", ("p-rechargeable", "zh_stem")),  # "charging type"; the label says "can charge"
        ("power-source", "可充电式", ("p-rechargeable", "zh_stem")),
        ("flavor", "薄荷味", ("f-mint", "zh_stem")),  # mint flavour: the label is the flavour alone
    ],
)
def test_a_chinese_value_is_read_by_its_stem(facet: str, text: str, expected: object) -> None:
    m = Mapper(zh_attribute_shop(), use_embeddings=False, use_lexicon=False)
    assert outcome(m.map([text], facet)[0]) == expected


def test_a_stem_two_values_share_is_no_guess() -> None:
    m = Mapper(zh_attribute_shop(), use_embeddings=False, use_lexicon=False)
    got = m.map(["长型"], "coat-length")[0]  # long type: 长 is Long's label and Longline's stem
    assert got.value is None
    assert got.reason == (
        "ambiguous: '长型' names 2 values (Long [l-long]; Longline [l-longline]); give the full path or the id"
    )


def test_a_stem_is_read_within_one_facet_only() -> None:
    m = Mapper(zh_attribute_shop(), use_embeddings=False, use_lexicon=False)
    assert m.map(["女士"], None)[0].value is None  # 女 alone, in every facet at once, is too short to name a value
    assert outcome(m.map(["男士"], "power-source")[0]) == "no value of facet 'power-source' is close enough"


def test_stems_drop_one_generic_word_at_each_end() -> None:
    assert stems("可充电式") == ["可充电式", "可充电", "充电式", "充电"]
    assert stems("薄荷味") == ["薄荷味", "薄荷"]  # mint flavour: a flavour's word
    assert stems("木质调") == ["木质调", "木质"]  # a woody note: a scent's word
    assert stems("铝制") == ["铝制", "铝"]  # made of aluminium
    assert stems("男童") == ["男童", "男"]  # a boy: 男 + child
    assert stems("无线") == ["无线"]  # wireless is no 无, none
    assert stems("色") == ["色"]  # a word that is only a generic word keeps it

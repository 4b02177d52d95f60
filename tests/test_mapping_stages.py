"""The mapper's stages one by one: facet rules (aliases, sizes, genders), modifiers, WordNet, Chinese affixes, the LLM
stage, the taxonomy check, the config file, and a fuzz test over the mapper and map_answer."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.cli import app
from tagllm.errors import ConfigError
from tagllm.mapping import Mapped, Mapper
from tagllm.taxonomy import Facet, Taxonomy, Value, load_taxonomy

pytest.importorskip("wn", reason="the lexical stage needs tagllm[lexicon]")


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path_factory_cache()))
    monkeypatch.chdir(tmp_path)


def tmp_path_factory_cache() -> Path:
    """One cache for the module: WordNet's compact tables are built once (a few seconds), then loaded."""
    import tempfile

    global _CACHE
    if "_CACHE" not in globals():
        _CACHE = Path(tempfile.mkdtemp(prefix="tagllm-stages-"))
    return _CACHE


def shop() -> Taxonomy:
    """A small shop: categories, sizes written "Name (ABBR)", genders, colours, fabrics, sleeve lengths."""
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "size": Facet("size", "Size"),
        "material": Facet("material", "Material"),
        "target-gender": Facet("target-gender", "Target gender"),
        "color": Facet("color", "Color", multi_valued=True),
        "fabric": Facet("fabric", "Fabric"),
        "sleeve-length-type": Facet("sleeve-length-type", "Sleeve length type"),
    }
    values = [
        Value("food", "Food", "category", None, "Food"),
        Value("veg", "Vegetables", "category", "food", "Food > Vegetables"),
        Value("eggplants", "Eggplants", "category", "veg", "Food > Vegetables > Eggplants"),
        Value("home", "Home & Garden", "category", None, "Home & Garden"),
        Value("appliances", "Household Appliances", "category", "home", "Home & Garden > Household Appliances"),
        Value("vacuums", "Vacuums", "category", "appliances", "Home & Garden > Household Appliances > Vacuums"),
        Value("kitchen", "Kitchen Tools", "category", "home", "Home & Garden > Kitchen Tools"),
        Value("strainers", "Strainers", "category", "kitchen", "Home & Garden > Kitchen Tools > Strainers"),
        Value("chem", "Chemicals", "category", None, "Chemicals"),
        *(
            Value(f"s{i}", name, "size")
            for i, name in enumerate(
                [
                    "Extra small (XS)",
                    "Small (S)",
                    "Medium (M)",
                    "Large (L)",
                    "Extra large (XL)",
                    "Double extra large (XXL)",
                    "Four extra large (4XL)",
                    "One size",
                ]
            )
        ),  # fmt: skip
        Value("pvc", "Polyvinyl chloride (PVC)", "material"),
        Value("cn-t", "Chinese (traditional)", "material"),  # a lower-case qualifier is no abbreviation
        Value("male", "Male", "target-gender"),
        Value("female", "Female", "target-gender"),
        Value("unisex", "Unisex", "target-gender"),
        *(Value(f"c-{n.lower()}", n, "color") for n in ["Red", "Pink", "Green", "Blue", "Navy", "Gray"]),
        Value("cotton", "Cotton", "fabric"),
        Value("leather", "Leather", "fabric"),
        Value("cap", "Cap", "sleeve-length-type"),
        Value("short", "Short", "sleeve-length-type"),
    ]
    return Taxonomy("shop", facets, {v.id: v for v in values})


class FakeEmbedder:
    """Embeds by a word -> axis table: texts sharing a listed word point the same way, others apart."""

    name = "fake-embedder"

    def __init__(self, axes: dict[str, int], dim: int = 4096) -> None:
        self.axes, self.dim = axes, dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                if word in self.axes:
                    out[i, self.axes[word]] += 1.0
            out[i, 8 + zlib.crc32(text.encode()) % (self.dim - 8)] += 0.01 if out[i].any() else 1.0
            out[i] /= np.linalg.norm(out[i])
        return out


def outcome(m: Mapped) -> tuple[str | None, str | None] | str:
    return (m.value.id, m.method) if m.value else str(m.reason)


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    import os

    os.environ["TAGLLM_CACHE_DIR"] = str(tmp_path_factory_cache())
    return Mapper(shop(), use_embeddings=False)


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("size", "XS", ("s0", "alias")),
        ("size", "X-Large", ("s4", "alias")),
        ("size", "Extra Large", ("s4", "alias")),
        ("size", "2XL", ("s5", "alias")),
        ("size", "XXXXL", ("s6", "alias")),
        ("size", "XXLG", ("s5", "alias")),
        ("size", "XLG", ("s4", "alias")),  # a retailer's abbreviation of XL
        ("size", "O/S", ("s7", "alias")),  # one size
        ("size", "med", ("s2", "alias")),
        ("size", "Size M", ("s2", "modifier")),  # the facet's own name is stripped
        ("size", "7XL", "no value of facet 'size' is close enough"),
        ("material", "PVC", ("pvc", "alias")),
        ("material", "polyvinyl chloride", ("pvc", "alias")),
        ("material", "traditional", "only describes a value ('traditional'), names none of facet 'material'"),
        ("target-gender", "mens", ("male", "alias")),
        ("target-gender", "for him", ("male", "modifier")),
        ("target-gender", "ladies", ("female", "alias")),
        ("target-gender", "gender neutral", ("unisex", "alias")),
    ],
)
def test_facet_rules_give_values_more_names(mapper: Mapper, facet: str, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], facet)[0]) == expected


@pytest.mark.parametrize("text", ["S/M", "XS/S"])
def test_a_size_letter_s_beside_another_size_is_no_possessive(mapper: Mapper, text: str) -> None:
    # a lone "s" is a possessive the normaliser cut off only after an apostrophe ("women's"); "S/M" is two sizes
    assert mapper.map([text], "size")[0].value is None


def test_a_possessive_s_is_still_dropped(mapper: Mapper) -> None:
    assert outcome(mapper.map(["men's"], "target-gender")[0]) == ("male", "alias")


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("color", "pale pink", ("c-pink", "modifier")),
        ("color", "Colour: Red", ("c-red", "modifier")),
        ("color", "dark olive green", ("c-green", "modifier")),
        ("color", "navy blue", ("c-navy", "lexical")),  # WordNet: navy blue is navy
        ("color", "red pink", "no value of facet 'color' is close enough"),  # two colours: no guess
        ("fabric", "100% organic cotton", ("cotton", "modifier")),
        ("fabric", "genuine leather", ("leather", "modifier")),
        ("sleeve-length-type", "cap-sleeved", ("cap", "lead")),
        ("sleeve-length-type", "short sleeves", ("short", "lead")),
        ("color", "pale", "only describes a value ('pale'), names none of facet 'color'"),
        ("fabric", "100% genuine", "only describes a value ('100 genuine'), names none of facet 'fabric'"),
    ],
)
def test_modifiers_are_stripped_and_the_rest_looked_up(mapper: Mapper, facet: str, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], facet)[0]) == expected


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("category", "aubergine", ("eggplants", "lexical")),  # a WordNet synonym
        ("category", "hoover", ("vacuums", "lexical")),  # a kind of vacuum cleaner; the path agrees (appliance)
        ("color", "burgundy", ("c-red", "colour")),  # the colour stage places it before WordNet: the survey's wine red
        ("color", "grey", ("c-gray", "colour")),  # the survey's spelling of Gray
        ("category", "product", "no value of facet 'category' is close enough"),  # mostly a commodity
        ("category", "trainers", "no value of facet 'category' is close enough"),  # a real word: no typo of Strainers
    ],
)
def test_wordnet_lands_on_one_value_or_none(mapper: Mapper, facet: str, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], facet)[0]) == expected


def test_a_stage_can_be_removed_and_each_is_measured() -> None:
    m = Mapper(shop(), use_embeddings=False)
    names = [s.name for s in m.stages]
    assert names == ["screen", "id", "exact", "normalized", "synonym", "alias", "derived", "translation", "path",
                     "zh_head", "zh_cell", "zh_facet_word", "zh_stem", "zh_elsewhere", "cup", "foreign_path", "guard",
                     "privative", "imitation", "colour", "lexical", "swap", "lead", "name_part", "modifier", "spelling",
                     "colour_code", "colour_noun", "clause", "paraphrase", "spec", "clip", "fuzzy",
                     "contained"]  # fmt: skip
    m.map(["Red", "aubergine", "XL"], "category")
    assert (m.stats["exact"].seen, m.stats["exact"].accepted) == (3, 0)
    assert m.stats["lexical"].accepted == 1
    without = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    assert "lexical" not in [s.name for s in without.stages]
    assert outcome(without.map(["aubergine"], "category")[0]) == "no value of facet 'category' is close enough"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("连衣裙系列", ("apparel-dresses", "translation")),
        ("各种连衣裙", ("apparel-dresses", "translation")),
        ("连衣裙类", ("apparel-dresses", "translation")),
        ("服装／连衣裙", ("apparel-dresses", "translation")),  # full-width separators
        ("服装 》连衣裙", ("apparel-dresses", "translation")),
        ("連衣裙", ("apparel-dresses", "translation")),  # traditional characters: a Taiwan or Hong Kong seller's word
        ("服裝／連衣裙系列", ("apparel-dresses", "translation")),
        ("系列", "no value of facet 'category' is close enough"),
    ],
)
def test_chinese_generic_affixes_and_full_width_separators(text: str, expected: object) -> None:
    m = Mapper(load_taxonomy("demo"), use_embeddings=False)
    assert outcome(m.map([text], "category")[0]) == expected


def ages() -> Taxonomy:
    """An age-group facet: its values are people, and WordNet files people under no "age group"."""
    values = [Value(f"a-{n.lower()}", n, "age-group") for n in ["Babies", "Kids", "Teens", "Adults"]]
    return Taxonomy("ages", {"age-group": Facet("age-group", "Age group")}, {v.id: v for v in values})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("teenager", ("a-teens", "lexical")),  # WordNet's first sense of both "teenager" and "teen"
        ("adolescents", ("a-teens", "lexical")),
        ("children", ("a-kids", "lexical")),  # child and kid: one sense, the first of each
        ("shaver", "no value of facet 'age-group' is close enough"),  # a boy only in a rarer sense than the razor
    ],
)
def test_a_flat_facet_takes_a_synonym_both_words_say_first(text: str, expected: object) -> None:
    m = Mapper(ages(), use_embeddings=False)
    assert outcome(m.map([text], "age-group")[0]) == expected


def zh_shop() -> Taxonomy:
    """Colours and sizes with Chinese labels as Shopify gives them (colours with 色, sizes with their letters)."""
    facets = {"color": Facet("color", "Color"), "size": Facet("size", "Size"), "shoe-size": Facet("shoe-size", "Shoe")}
    colours = {"Black": "黑色", "Gray": "灰色", "Green": "绿色", "Red": "红色", "Silver": "银色", "White": "白"}
    values = [
        *(Value(f"c-{n.lower()}", n, "color", labels=(("zh-CN", zh),)) for n, zh in colours.items()),
        Value("s-m", "Medium (M)", "size", labels=(("zh-CN", "中号 (M)"),)),
        Value("s-l", "Large (L)", "size", labels=(("zh-CN", "大号 (L)"),)),
        *(Value(f"shoe-{n}", n, "shoe-size", labels=(("zh-CN", n),)) for n in ["36", "36.5", "42"]),
    ]
    return Taxonomy("zh-shop", facets, {v.id: v for v in values}, languages=("en", "zh-CN"))


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("color", "浅灰", ("c-gray", "zh_head")),  # light grey, written without 色: its head is 灰色
        ("color", "墨绿", ("c-green", "zh_head")),
        ("color", "哑光黑", ("c-black", "zh_head")),  # matte black
        ("color", "银灰色", "no value of facet 'color' is close enough"),  # silver grey: 银 names Silver
        ("size", "M码", ("s-m", "zh_cell")),  # size M
        ("size", "L（建议110-125斤）", ("s-l", "zh_cell")),  # size L, with the weight it fits in a note
        ("shoe-size", "36.5码（偏小一码）", ("shoe-36.5", "zh_cell")),  # runs a size small
        ("shoe-size", "42码", ("shoe-42", "zh_cell")),
        ("size", "尺码偏大", "no value of facet 'size' is close enough"),  # runs large: no size
    ],
)
def test_chinese_colours_and_sizes(facet: str, text: str, expected: object) -> None:
    m = Mapper(zh_shop(), use_embeddings=False)
    assert outcome(m.map([text], facet)[0]) == expected


def zh_facet_shop() -> Taxonomy:
    """Two flat facets with Chinese labels, as Shopify gives them: watch-band materials and bedding sizes."""
    facets = {
        "watch-band-material": Facet(
            "watch-band-material", "Watch/Band material", labels=(("zh-CN", "手表/表带材质"),)
        ),
        "bedding-size": Facet("bedding-size", "Bedding size", labels=(("zh-CN", "床上用品尺寸"),)),
    }
    values = [
        Value("w-silicone", "Silicone", "watch-band-material", labels=(("zh-CN", "硅胶"),)),
        Value("w-nylon", "Nylon", "watch-band-material", labels=(("zh-CN", "尼龙"),)),
        Value("b-twin", "Twin", "bedding-size", labels=(("zh-CN", "单人"),)),
    ]
    return Taxonomy("zh-facets", facets, {v.id: v for v in values}, languages=("en", "zh-CN"))


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("watch-band-material", "硅胶表带", ("w-silicone", "zh_facet_word")),  # silicone + the facet's word
        ("watch-band-material", "尼龙表带", ("w-nylon", "zh_facet_word")),
        ("bedding-size", "单人床", "no value of facet 'bedding-size' is close enough"),  # 床 alone: a bed
    ],
)
def test_a_chinese_cell_is_read_without_the_facet_word_it_holds(facet: str, text: str, expected: object) -> None:
    m = Mapper(zh_facet_shop(), use_embeddings=False)
    assert outcome(m.map([text], facet)[0]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RAL 3020 traffic red", ("c-red", "colour_code")),  # RAL's code cut: "traffic red" is Red
        ("Pantone 2945 C blue", ("c-blue", "colour_code")),
        ("pink RAL 3015", ("c-pink", "colour_code")),
        ("RAL 9005", "no value of facet 'color' is close enough"),  # a code alone: which value is not read
        ("gloss pink", ("c-pink", "modifier")),  # a finish written with the colour
        ("candy pink gloss finish", ("c-pink", "modifier")),
        ("fluoro pink", ("c-pink", "modifier")),  # a shade word
    ],
)
def test_colours_with_their_code_or_finish(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "color")[0]) == expected


def cup_shop() -> Taxonomy:
    """A bra cup facet (letters, some doubled) and a size facet of letters that are no cups."""
    facets = {"cup-size": Facet("cup-size", "Cup size"), "size": Facet("size", "Size")}
    cups = ["A", "AA", "B", "C", "D", "DD", "DDD", "E", "F", "FF", "G"]
    values = [
        *(Value(f"cup-{c}", c, "cup-size") for c in cups),
        *(Value(f"size-{c}", c, "size") for c in ["S", "M", "L", "XL", "XXL"]),
    ]
    return Taxonomy("cups", facets, {v.id: v for v in values})


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("cup-size", "34DD", ("cup-DD", "cup")),  # band and cup: the cup
        ("cup-size", "36DDD", ("cup-DDD", "cup")),
        ("cup-size", "32 E (UK)", ("cup-E", "cup")),  # the size system after it
        ("cup-size", "38C UK", ("cup-C", "cup")),
        ("cup-size", "35C", "no value of facet 'cup-size' is close enough"),  # bands are even
        ("cup-size", "34DE", "no value of facet 'cup-size' is close enough"),  # two cups
        ("size", "34L", "no value of facet 'size' is close enough"),  # no facet of cups: a waist and a length
    ],
)
def test_a_bra_size_is_its_cup_in_a_facet_of_cups(facet: str, text: str, expected: object) -> None:
    m = Mapper(cup_shop(), use_embeddings=False)
    assert outcome(m.map([text], facet)[0]) == expected


def spelling_shop() -> Taxonomy:
    """American names: a colour facet with Multicolor, a flavour facet with Unflavored."""
    facets = {"color": Facet("color", "Color"), "flavor": Facet("flavor", "Flavor"), "theme": Facet("theme", "Theme")}
    colours = ["Red", "Blue", "Green", "Black", "White", "Multicolor"]
    values = [
        *(Value(f"c-{n.lower()}", n, "color") for n in colours),
        *(Value(f"f-{n.lower()}", n, "flavor") for n in ["Unflavored", "Vanilla"]),
        *(Value(f"t-{n.lower()}", n, "theme") for n in ["Humor", "Harbor"]),
    ]
    return Taxonomy("spelling", facets, {v.id: v for v in values})


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("theme", "humour", ("t-humor", "spelling")),  # -our is -or
        # the colour stage reads a string naming many colours first (since s41), as the same value
        ("color", "multicoloured", ("c-multicolor", "colour")),
        ("flavor", "unflavoured", ("f-unflavored", "spelling")),
        ("flavor", "vanilla flavour", ("f-vanilla", "lead")),  # read before the spelling stage, as before
    ],
)
def test_british_spellings_are_read_as_american(facet: str, text: str, expected: object) -> None:
    m = Mapper(spelling_shop(), use_embeddings=False)
    assert outcome(m.map([text], facet)[0]) == expected


def test_american_spelling_rewrites_regular_endings_only() -> None:
    from tagllm.mapping.spelling import american_spelling

    assert american_spelling("anodised fibre catalogue colour") == "anodized fiber catalog color"
    assert american_spelling("four hour tour your flour rise acre") == "four hour tour your flour rise acre"


class QueuedBackend(Backend):
    """Answers from a queue, one per request; records what it was asked."""

    name = "queued"
    supports_schema = True

    def __init__(self, answers: list[str | None]) -> None:
        self.answers, self.calls = list(answers), []  # type: ignore[var-annotated]

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        from tagllm.models import RecordError

        self.calls.append(list(requests))
        out = []
        for _ in requests:
            answer = self.answers.pop(0)
            error = RecordError(id="x", stage="backend", message="down") if answer is None else None
            out.append(Generation(text=answer or "", error=error))
        return out


def test_llm_stage_chooses_among_the_nearest_values_in_one_batch() -> None:
    demo = load_taxonomy("demo")
    fake = FakeEmbedder({"boots": 0, "sneakers": 0, "wellies": 0, "galoshes": 0, "gumboots": 0})
    backend = QueuedBackend(['{"value": "Boots"}', '{"value": "none of these"}', '{"value": "Jeans"}', None])
    m = Mapper(demo, embedder=fake, embedding_threshold=1.01, use_lexicon=False, backend=backend)  # type: ignore[arg-type]
    got = m.map(["wellies", "galoshes", "gumboots", "galoshes gumboots"], "category")
    assert [outcome(g) for g in got] == [
        ("footwear-boots", "llm"),
        "no value of facet 'category' is close enough",  # the model declined
        "no value of facet 'category' is close enough",  # off the list: never trusted
        "no value of facet 'category' is close enough, and the LLM stage did not answer (down); map it again",
    ]
    assert len(backend.calls) == 1 and len(backend.calls[0]) == 4  # one batched call
    request = backend.calls[0][0]
    assert request.schema is not None
    enum = request.schema["properties"]["value"]["enum"]
    assert "Boots" in enum and enum[-1] == "none of these"
    assert "Tag: wellies" in request.messages[-1]["content"]  # type: ignore[index]
    plain = Mapper(demo, embedder=fake, embedding_threshold=1.01, use_lexicon=False)  # type: ignore[arg-type]
    assert outcome(plain.map(["wellies"], "category")[0]) == "no value of facet 'category' is close enough"


class FailingBackend(QueuedBackend):
    """Answers "Boots" to every request but "galoshes", on which it fails as ``fault`` says."""

    def __init__(self, fault: str) -> None:
        super().__init__([])
        self.fault = fault

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        self.calls.append(list(requests))
        answers = [Generation(text='{"value": "Boots"}') for _ in requests]
        if any("Tag: galoshes" in r.messages[-1]["content"] for r in requests):  # type: ignore[index]
            if self.fault == "raises":
                raise RuntimeError("client bug")
            if self.fault == "short":
                return answers[:-1]
            answers[-1] = Generation(text=None)  # type: ignore[arg-type]
        return answers


@pytest.mark.parametrize("fault", ["raises", "short", "no text"])
def test_a_backend_failing_on_one_string_leaves_that_string_rejected_and_maps_the_rest(fault: str) -> None:
    """The LLM stage called the backend directly: one that raised, returned fewer answers than requests or an answer
    without text crashed the whole map (RuntimeError, ValueError from zip, TypeError from json.loads)."""
    fake = FakeEmbedder({"boots": 0, "sneakers": 0, "wellies": 0, "galoshes": 0})
    backend = FailingBackend(fault)
    m = Mapper(load_taxonomy("demo"), embedder=fake, embedding_threshold=1.01, use_lexicon=False, backend=backend)  # type: ignore[arg-type]
    got = m.map(["wellies", "galoshes"], "category")
    assert outcome(got[0]) == ("footwear-boots", "llm")
    assert str(outcome(got[1])).startswith(
        "no value of facet 'category' is close enough, and the LLM stage did not answer (backend queued "
    )


def test_map_says_which_strings_the_llm_did_not_answer_and_exits_1() -> None:
    """A server failing the LLM stage's requests left each string it was to settle 'no value ... close enough', as if
    the model had looked and found none, and the map exited 0: of 8 legacy tags, the 4 the LLM was asked about came
    out rejected with no word that they were never answered, nor that mapping them again could place them."""
    from tagllm.testing.server import FaultyChatServer

    strings = ["wellies", "galoshes", "trainers", "frock"]
    with FaultyChatServer(fault_rate=1.0, faults=["cut"]) as server:  # each answer cut short: not retried
        args = ["taxonomy", "map", *strings, "-t", "demo", "-f", "category", "--no-lexicon", "--format", "jsonl",
                "--backend", "openai", "--base-url", server.url, "--model", "faulty"]  # fmt: skip
        result = CliRunner().invoke(app, args)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(row["text"], row["id"]) for row in rows] == [
        ("wellies", ""), ("galoshes", ""), ("trainers", "footwear-sneakers"), ("frock", "apparel-dresses")
    ]  # fmt: skip
    failed = "no value of facet 'category' is close enough, and the LLM stage did not answer (the answer was cut "
    assert all(row["reason"].startswith(failed) and row["reason"].endswith("; map it again") for row in rows[:2])
    assert result.stderr == (
        "2 of 4 mapped, 2 rejected (2 of them because the LLM stage did not answer: map them again)\n"
    )
    assert result.exit_code == 1  # some records failed, as for tagllm generate


def test_map_with_a_server_that_refuses_every_request_stops_before_the_first_string() -> None:
    """A server answering each request HTTP 400 (a response_format it does not take) is a setup mistake: the backend's
    check stops the map before the first string, as it stops tagllm generate, instead of every string 'not answered'."""
    from tagllm.testing.server import FaultyChatServer

    with FaultyChatServer(fault_rate=1.0, faults=["http-400-string"]) as server:
        args = ["taxonomy", "map", "wellies", "-t", "demo", "-f", "category", "--no-lexicon", "--backend", "openai",
                "--base-url", server.url, "--model", "faulty"]  # fmt: skip
        result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError), result.output  # tagllm's main prints it and exits 2
    assert "refuses the request sent for each product (HTTP 400" in str(result.exception)
    assert result.stdout == ""


def test_map_with_a_server_that_is_not_there_stops_before_the_first_string(tmp_path: Path) -> None:
    """The backend was never started: each string's request failed after its retries, every one that reached the LLM
    stage came out 'no value ... close enough' and the map exited 0, the server's address never named."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    args = ["taxonomy", "map", "wellies", "-t", "demo", "--backend", "openai", "--base-url", url, "--model", "m"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError), result.output  # tagllm's main prints it and exits 2
    assert str(result.exception).startswith(f"openai backend: nothing answers at {url} (ConnectError: ")
    assert result.stdout == ""


def test_check_tells_names_apart_as_the_mapper_does() -> None:
    facets = {"lang": Facet("lang", "Language")}
    values = [Value("1", "C", "lang"), Value("2", "C#", "lang"), Value("3", "C++", "lang"), Value("4", "Go", "lang"),
              Value("5", "go ", "lang")]  # fmt: skip
    tax = Taxonomy("langs", facets, {v.id: v for v in values})
    assert tax.check() == [
        "facet 'lang': values '4' and '5' share the name 'go ' under the same parent; the mapper cannot tell them apart"
    ]
    m = Mapper(tax, use_embeddings=False, use_lexicon=False)
    assert [outcome(r) for r in m.map(["C", "C#", "C++"], "lang")] == [("1", "exact"), ("2", "exact"), ("3", "exact")]


@pytest.mark.slow  # the full Shopify taxonomy
def test_shopify_check_reports_no_false_problems() -> None:
    # its English names have none; 70 pairs of its zh-CN labels name two values under one parent, each of which the
    # mapper refuses as ambiguous ('壁球': Racquetball or Squash), and none was reported
    result = CliRunner().invoke(app, ["taxonomy", "check", "-t", "shopify"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == "shopify: 31230 values in 1988 facets, 70 problem(s)"
    assert all(" share the zh-CN label " in line for line in lines[:-1])
    assert (
        "facet 'activity': values '80' and '81' share the zh-CN label '壁球' under the same parent; the mapper cannot "
        "tell them apart in that language"
    ) in lines
    mapped = Mapper(load_taxonomy("shopify"), use_embeddings=False, use_lexicon=False).map(["壁球"], "activity")
    assert mapped[0].value is None and (mapped[0].reason or "").startswith("ambiguous: '壁球' names 2 values")


def test_taxonomy_commands_follow_the_config_file(tmp_path: Path) -> None:
    own = tmp_path / "mine.yaml"
    own.write_text(
        "name: mine\nfacets:\n  - name: color\n    values:\n      - {id: c1, name: Teal}\n", encoding="utf-8"
    )
    (tmp_path / "tagllm.yaml").write_text(f"taxonomy: {own.name}\n", encoding="utf-8")
    shown = CliRunner().invoke(app, ["taxonomy", "show"])
    assert shown.stdout == "color (single-valued, 1 values); applies everywhere\n  Teal [c1]\n"
    checked = CliRunner().invoke(app, ["taxonomy", "check"])
    assert checked.stdout == "mine: 1 values in 1 facets, 0 problem(s)\n"
    mapped = CliRunner().invoke(app, ["taxonomy", "map", "teal", "--format", "csv", "--no-embeddings"])
    assert mapped.stdout.splitlines()[1] == "teal,color,c1,Teal,Teal,normalized,1.0,"
    flag = CliRunner().invoke(app, ["taxonomy", "show", "-t", "demo", "--facet", "audience"])
    assert flag.stdout.startswith("audience (single-valued")


# -- fuzz: any string, any answer, never a traceback --------------------------------------------------------------
_TEXT = st.text(st.characters(exclude_categories=()), max_size=60)  # surrogates and controls included
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXT | st.sampled_from(["XL", "pale pink", "连衣裙系列", "Red", "aubergine"]), max_size=6),
       facet=st.sampled_from([None, "category", "color", "size", "fabric"]))  # fmt: skip
def test_fuzz_mapper_never_raises(mapper: Mapper, texts: list[str], facet: str | None) -> None:
    results = mapper.map(texts, facet)
    assert len(results) == len(texts)
    for text, m in zip(texts, results, strict=True):
        assert m.text in (text, text[:300])
        assert (m.value is None) == (m.reason is not None)
        assert m.value is None or facet is None or m.value.facet == facet


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=_TEXT | _JSON.map(lambda v: json.dumps(v, ensure_ascii=False)) | _JSON.map(str))
def test_fuzz_map_answer_never_raises(mapper: Mapper, answer: str) -> None:
    result = mapper.map_answer(answer, ["category", "color", "size"])
    for facet, tags in result.tags.items():
        assert all(value.facet == facet for value, _ in tags)


def test_a_category_head_is_taken_only_when_no_other_word_names_a_value() -> None:
    # the embedder must agree that the whole string means the head's value; here it sees only the listed words
    embedder = FakeEmbedder({"hoover": 0, "vacuums": 0, "strainers": 1})
    m = Mapper(shop(), embedder=embedder, embedding_threshold=1.5)  # the embedding stage itself maps nothing
    got = m.map(["garage hoover", "eggplant strainers"], "category")
    assert [outcome(g) for g in got] == [
        ("vacuums", "modifier"),  # "garage" names no category; the head is a hoover, and the embedder agrees
        "no value of facet 'category' is close enough",  # "eggplant" names a category too: no guess between them
    ]

"""The colour stage: a colour name the facet has no value for, placed on the nearest colour value in CIELAB.

The names and their sRGB colours are the xkcd colour survey's 949 most common names (CC0, shipped as
``xkcd_colors.tsv`` beside this module; no run-time dependency). A facet is a colour facet when enough of its values
are themselves survey names ("Red", "Navy", "Beige"). Each such value is represented by the survey's own names for its
shades: the names whose last word is the value's name and whose other words name no value ("wine red", "dark red",
"brick red" for Red; not "navy blue" for Blue). A string that is a survey name but no value of the facet ("burgundy",
"teal", "aubergine") maps to the value with the nearest shade, when it is near enough and clearly nearer than any
other value's shades. A colour between two values ("indigo": blue or purple) is rejected rather than guessed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tagllm.mapping.base import Batch, Outcome, Stage
from tagllm.mapping.keys import keys
from tagllm.mapping.modifier_words import MODIFIER_WORDS
from tagllm.mapping.tables import scope
from tagllm.taxonomy import Value
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

DATA = Path(__file__).with_name("xkcd_colors.tsv")
MIN_COLOUR_VALUES = 5
"""A facet is a colour facet when at least this many of its values name basic colour terms."""
BASIC_COLOURS = frozenset(
    {"black", "white", "red", "green", "yellow", "blue", "brown", "purple", "pink", "orange", "grey"}
)
"""English's eleven basic colour terms (Berlin and Kay, 1969). Counting any survey name instead made Shopify's
material facet a colour facet: five of its values (Clay, Denim, Leather, Stone, Velvet) are survey names."""
MAX_DISTANCE = 10.0
"""The farthest (CIEDE2000) a colour may be from a shade of the value it is placed on."""
MIN_MARGIN = 2.75
"""How much nearer (CIEDE2000) the nearest value's shade must be than any other value's: closer calls are rejected.
Cap and margin were chosen on the colour strings of mapping_cases/heldout/fresh.yaml (not mapping_fresh2.yaml)."""
FINISHES = frozenset({"gold", "silver", "bronze", "copper", "brass", "platinum", "chrome", "pewter", "rose gold"})
"""Metal names are finishes, not hues: a value so named is found by its name only, never as the nearest colour, and
a metal the facet lacks ("copper" where there is Gold and Bronze) is no shade of another value."""
_FINISH_FORMS = FINISHES | {"golden", "silvery", "coppery", "brassy", "bronzed", "metallic"}
"""Words that say the colour is a finish: such a string is left to the stages that read names ("golden" -> Gold)."""
MANY_COLOUR_WORDS = frozenset({"multi", "multicolour", "multicolor", "multicoloured", "multicolored", "rainbow"})
"""Words that say a thing is of many colours: in a colour facet they name its value for many colours ("Multicolor")."""
_MANY_QUALIFIERS = frozenset({"mixed", "assorted", "multiple", "many"})
"""Words that, before "colours", say many of them ("mixed colours"); not "various colours", which offers a choice of
colours, each product of one."""
_MANY_REST = frozenset({
    "colour", "colours", "color", "colors", "coloured", "colored", "tone", "toned", "tie", "dye", "dyed", "print",
    "printed", "pattern", "patterned",
})  # fmt: skip
"""Words that may stand beside them without naming anything else ("multi-tone", "tie-dye multi")."""
_SPELLINGS = (("gray", "grey"), ("colored", "coloured"))
_HUE_SUFFIXES = ("dish", "ish", "y")
"""How the survey makes a hue word an adjective: "reddish", "pinkish", "bluish", "greeny"."""


@lru_cache(maxsize=1)
def survey() -> dict[str, tuple[float, float, float]]:
    """Survey colour name -> its colour in CIELAB (D65)."""
    out: dict[str, tuple[float, float, float]] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        name, hexcode = line.split("\t")
        out[name] = lab(hexcode)
    return out


def lab(hexcode: str) -> tuple[float, float, float]:
    """An sRGB colour ("#e50000") in CIELAB under D65."""
    rgb = [int(hexcode[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def ciede2000(p: tuple[float, float, float], q: tuple[float, float, float]) -> float:
    """The CIEDE2000 colour difference (Sharma, Wu and Dalal, 2005): perceptual, unlike plain Lab distance."""
    return float(ciede2000_table(np.array([p], dtype=np.float64), np.array([q], dtype=np.float64))[0, 0])


def says_many_colours(text: str) -> bool:
    """Whether a string names nothing but many colours: "multi", "Rainbow", "mixed colours", "tie-dye multi",
    "multicolour print" (not "multi-pack", "multicoloured confetti": those name something else)."""
    words = normalize(text).split()
    named = [w for w in words if w not in _MANY_REST]
    if not named or not all(w in MANY_COLOUR_WORDS or w in _MANY_QUALIFIERS for w in named):
        return False
    return bool(MANY_COLOUR_WORDS.intersection(named)) or bool({"colours", "colors"}.intersection(words))


def many_colours_value(values: Iterable[Value]) -> str | None:
    """The id of the value for many colours ("Multicolor", "Multi-colour", "Multicoloured"), if there is one."""
    for value in values:
        words = normalize(value.name).split()
        if says_many_colours(value.name) and any(w.startswith("multi") for w in words):
            return value.id
    return None


def survey_name(text: str) -> str | None:
    """The survey's name for a string ("Gray-ish" -> "grey", "dusty-rose" -> "dusty rose"), or None."""
    names = survey()
    words = normalize(text).split()
    if not words:
        return None
    if words[-1].endswith("ish") and len(words[-1]) > 5:
        words[-1] = words[-1][:-3]  # "greyish", "bluish"
    for phrase in (" ".join(words), "".join(words)):
        for us, uk in _SPELLINGS:
            for form in (phrase, phrase.replace(us, uk), phrase.replace(uk, us)):
                if form in names:
                    return form
    return None


Shade = tuple[str, tuple[float, float, float]]


class ColourStage(Stage):
    """In a colour facet, a survey colour name that is no value: the value with the nearest shade, when near and clear.

    A string whose last word names a value ("light grey", "brick red") is left to the modifier stage: the name decides,
    not the shade (the survey's light grey is nearer white than grey). So is a finish word ("golden"); a metal the
    facet lacks ("copper") is rejected.
    """

    name = "colour"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self._shades: dict[str, list[Shade]] = {}
        self._hues: dict[str, dict[str, str]] = {}
        self._many: dict[str, str | None] = {}
        self._placed: dict[tuple[str, str], list[tuple[float, str]]] = {}
        self._named: dict[str, bool] = {}

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        shades = self.shades(facet)
        if facet is None or not shades:
            return
        hues = self._hues[facet]
        many = self._many[facet]
        for raw in batch.open():
            text = batch.text(raw)
            if many is not None and says_many_colours(text):  # "multi", "rainbow", "tie-dye multi"
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[many], self.name)
                continue
            name = survey_name(text)
            if name in hues:  # "grey" is the survey's spelling of Gray
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[hues[name]], self.name)
                continue
            if name is None or name.split()[-1] in hues or self._names_value(normalize(text).split()[-1], facet):
                continue
            if set(name.split()) <= MODIFIER_WORDS:
                continue  # "pale", "dark": the survey names them, but a shade word alone names no colour
            if name in FINISHES:
                reason = f"{name!r} is a metal finish, and facet {facet!r} has no value for it"
                batch.done[raw] = self.m.reject(raw, facet, reason)
            elif raw in batch.elsewhere and self._is_material(batch.elsewhere[raw]):
                continue  # "leather", "denim": a material named in a colour facet says nothing of the colour
            elif not _FINISH_FORMS.intersection(name.split()):
                batch.done[raw] = self.place(raw, name, facet, shades)

    def place(self, raw: str, name: str, facet: str, shades: list[Shade]) -> Outcome:
        """Accepted on the value with the nearest shade when near and clear; else rejected, with the two values."""
        near = self._nearest(name, facet, shades)
        (d1, best), (d2, second) = near
        if is_placed(near):
            return self.m.accept(raw, facet, self.m.values[best], self.name, round(1 - d1 / 100, 4))
        a, b = self.m.values[best].name, self.m.values[second].name
        reason = f"the colour {name!r} lies between {a} and {b} (CIEDE2000 {d1:.1f} and {d2:.1f}); name one of them"
        if d1 > MAX_DISTANCE:
            reason = f"the colour {name!r} is near no value of facet {facet!r} (nearest {a}, CIEDE2000 {d1:.1f})"
        outcome = self.m.reject(raw, facet, reason)
        outcome.candidates, outcome.method = (best, second), self.name
        return outcome

    def _nearest(self, name: str, facet: str, shades: list[Shade]) -> list[tuple[float, str]]:
        """The two values with the nearest shades to a survey colour, with their distances (computed once each)."""
        found = self._placed.get((facet, name))
        if found is None:
            found = self._placed[(facet, name)] = nearest_values(survey()[name], shades)
        return found

    def shades(self, facet: str | None) -> list[Shade]:
        """The survey's shades of the facet's colour values (finishes excepted); empty if too few values are colours."""
        if facet is None or self.m.taxonomy.facets[facet].hierarchical:
            return []
        found = self._shades.get(facet)
        if found is None:
            values = self.m.taxonomy.facet_values(facet)
            hues = value_hues(values)
            found = self._shades[facet] = hue_shades(hues)
            self._hues[facet] = hues if found else {}
            self._many[facet] = many_colours_value(values) if found else None
        return found

    def names_colours(self, facet: str | None) -> bool:
        """Whether at least MIN_COLOUR_VALUES of the facet's values are survey colour names, basic or not: a colour
        facet, or one whose values are named like colours (Shopify's materials: Clay, Denim, Leather, Stone, Velvet;
        its flavours: Chocolate, Cherry, Lemon), where a noun beside a value's name tends to say which kind of it
        ("acacia wood", "madagascar vanilla"; the modifier stage's check). Only a colour facet gets shades."""
        if facet is None or self.m.taxonomy.facets[facet].hierarchical:
            return False
        named = self._named.get(facet)
        if named is None:
            named = self._named[facet] = len(value_hues(self.m.taxonomy.facet_values(facet))) >= MIN_COLOUR_VALUES
        return named

    def _is_material(self, outcome: Outcome) -> bool:
        ids = outcome.others or ((outcome.elsewhere.id,) if outcome.elsewhere is not None else ())
        facets = {self.m.values[v].facet for v in ids if v in self.m.values}
        return any(w in f for f in facets for w in ("material", "fabric"))

    def _names_value(self, word: str, facet: str) -> bool:
        tables = self.m.tables
        key = keys(word)[1]
        return any(scope(t["sing"].get(key), facet) for t in (tables.names, tables.synonyms, tables.aliases))


def value_hues(values: Iterable[Value]) -> dict[str, str]:
    """The survey's name of each value's colour -> the value's id ("grey" -> Gray's), finishes excepted."""
    hues: dict[str, str] = {}
    for value in values:
        name = survey_name(value.name)
        if name is not None and name not in FINISHES:
            hues[name] = value.id
    return hues


def hue_shades(hues: dict[str, str]) -> list[Shade]:
    """The survey's shades of each hue ("wine red", "dark red" for Red; not "navy blue" for Blue, whose other word
    is a hue too), as (value id, colour); empty when fewer than MIN_COLOUR_VALUES values name basic colours."""
    if len(BASIC_COLOURS.intersection(hues)) < MIN_COLOUR_VALUES:
        return []
    found = []
    for name, colour in survey().items():
        words = [_hue(w, hues) for w in name.split()]
        if words[-1] is not None and not any(words[:-1]):
            found.append((hues[words[-1]], colour))
    return found


def nearest_values(colour: tuple[float, float, float], shades: list[Shade]) -> list[tuple[float, str]]:
    """The two values (fewer if there are fewer) with the nearest shades to ``colour``, as (CIEDE2000, value id)."""
    if not shades:
        return []
    distance = ciede2000_table(np.array([colour], dtype=np.float64), np.array([c for _, c in shades]))[0]
    nearest: dict[str, float] = {}
    for (vid, _), d in zip(shades, distance.tolist(), strict=True):
        if d < nearest.get(vid, math.inf):
            nearest[vid] = d
    return sorted((d, vid) for vid, d in nearest.items())[:2]


def is_placed(near: list[tuple[float, str]]) -> bool:
    """Whether the nearest value's shade is near enough and clearly nearer than any other value's."""
    return len(near) == 2 and near[0][0] <= MAX_DISTANCE and near[1][0] - near[0][0] >= MIN_MARGIN


@lru_cache(maxsize=64)
def placed_shades(values: tuple[Value, ...]) -> dict[str, str]:
    """Of a colour facet's ``values``, the survey colour names that are none of them ("burgundy", "lilac") placed
    on the value with the nearest shade, near and clear (as ``ColourStage`` places a string): name -> value id.
    Left out, as there: names whose last word is a hue ("navy blue", "brick red": the name decides), shade words
    alone ("pale"), metal finishes. Empty for a facet that is no colour facet."""
    return {name: near[0][1] for name, near in survey_nearest(values).items() if is_placed(near)}


@lru_cache(maxsize=64)
def survey_nearest(values: tuple[Value, ...]) -> dict[str, list[tuple[float, str]]]:
    """The survey names that may stand for a colour facet's values (as ``placed_shades`` says) -> the two values with
    the nearest shades, with their distances; empty for a facet that is no colour facet."""
    hues = value_hues(values)
    shades = hue_shades(hues)
    names = [
        name
        for name in survey()
        if shades
        and name not in hues
        and _hue(name.split()[-1], hues) is None
        and not set(name.split()) <= MODIFIER_WORDS
        and name not in FINISHES
        and not _FINISH_FORMS.intersection(name.split())
    ]
    if not names:
        return {}
    ids = sorted({vid for vid, _ in shades})
    distance = ciede2000_table(np.array([survey()[n] for n in names]), np.array([colour for _, colour in shades]))
    owner = np.array([ids.index(vid) for vid, _ in shades])
    nearest = np.full((len(names), len(ids)), np.inf)  # per name, each value's nearest shade
    for j in range(len(ids)):
        nearest[:, j] = distance[:, owner == j].min(axis=1)
    out: dict[str, list[tuple[float, str]]] = {}
    for i, name in enumerate(names):
        order = np.argsort(nearest[i])[:2]
        out[name] = [(float(nearest[i, j]), ids[j]) for j in order.tolist()]
    return out


def ciede2000_table(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``ciede2000`` of every row of ``p`` (n x 3, CIELAB) against every row of ``q`` (m x 3): n x m."""
    l1, a1, b1 = (p[:, k : k + 1] for k in range(3))
    l2, a2, b2 = (q[None, :, k] for k in range(3))
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.where(c1p > 0, np.degrees(np.arctan2(b1, a1p)) % 360, 0.0)
    h2p = np.where(c2p > 0, np.degrees(np.arctan2(b2, a2p)) % 360, 0.0)
    chroma = c1p * c2p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(chroma > 0, dh, 0.0)
    dl, dc = l2 - l1, c2p - c1p
    dhh = 2 * np.sqrt(chroma) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_mean = np.where(
        chroma == 0,
        h_sum,
        np.where(np.abs(h1p - h2p) <= 180, h_sum / 2, np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2)),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    sl = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    sc = 1 + 0.045 * cp_mean
    sh = 1 + 0.015 * cp_mean * t
    rotation = np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2))))
    rt = -2 * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7)) * rotation
    return np.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dhh / sh) ** 2 + rt * (dc / sc) * (dhh / sh))


def _hue(word: str, hues: dict[str, str]) -> str | None:
    """The hue (a key of ``hues``) a survey word names: "red", "reddish", "greyish", "bluey"; else None."""
    if word in hues:
        return word
    for suffix in _HUE_SUFFIXES:
        root = word[: -len(suffix)]
        for form in (root, root + "e"):  # "bluish", "purplish"
            if word.endswith(suffix) and form in hues:
                return form
    return None

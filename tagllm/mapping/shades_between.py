"""Shades the colour survey places between two values of a colour facet: which of the two a product's text means by
one, or none where the survey cannot tell."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tagllm.mapping.colours import (
    DATA,
    MAX_DISTANCE,
    ciede2000_table,
    is_placed,
    lab,
    survey,
    survey_nearest,
    value_hues,
)
from tagllm.mapping.modifier_words import SHADES
from tagllm.taxonomy import Value


@lru_cache(maxsize=64)
def between_shades(values: tuple[Value, ...]) -> dict[str, str]:
    """Of the survey names ``placed_shades`` weighs, those between two values, both near enough and neither clearly
    nearer ("fuchsia": Pink and Purple, "sand": Yellow and Beige), -> the one of the two whose own colour (the
    survey's colour for its name: the hue's centre, not its farthest shade) is nearer: "sand" is Beige, though a shade
    of Yellow ("sand yellow") is nearer than any of Beige's. The mapper rejects such a string, as a user may name
    one; where a product's text writes it as the product's colour, that value is the closest the facet comes to it.
    A name that is a shade word and a placed shade ("dark tan") is that shade's value (``_shaded_head``). Left out:
    a name whose two values' shades are equally near within what the survey's code can tell (``code_step``:
    "indigo", as near a purple as a blue; "khaki", a brown or a green): there the survey does not say which value
    it is, and the hue centres' call would be a guess."""
    centres = {vid: survey()[name] for name, vid in value_hues(values).items()}
    nearest = survey_nearest(values)
    out = {}
    for name, near in nearest.items():
        if len(near) != 2 or near[1][0] > MAX_DISTANCE or is_placed(near):
            continue
        pair = [vid for _, vid in near]
        head = _shaded_head(name, nearest)
        if head is not None:  # "dark tan" is a tan: the head's value, or none where the pair lacks it
            if head in pair:
                out[name] = head
        elif near[1][0] - near[0][0] >= code_step(name):
            to_centres = ciede2000_table(np.array([survey()[name]]), np.array([centres[vid] for vid in pair]))[0]
            out[name] = pair[int(np.argmin(to_centres))]
    return out


@lru_cache(maxsize=64)
def tied_shades(values: tuple[Value, ...]) -> frozenset[str]:
    """The survey names between two values that ``between_shades`` leaves out ("indigo", "khaki", "midnight"): colour
    words still, which name no value (a segment of colour words may hold them: "Midnight Navy")."""
    nearest = survey_nearest(values)
    between = [name for name, near in nearest.items() if len(near) == 2 and near[1][0] <= MAX_DISTANCE]
    return frozenset(name for name in between if not is_placed(nearest[name])) - between_shades(values).keys()


def _shaded_head(name: str, nearest: dict[str, list[tuple[float, str]]]) -> str | None:
    """The value of the shade a survey name ends with where its other words only say how light or bright it is
    ("dark tan", "light burgundy", "pale turquoise"), placed near and clear (``is_placed``); None for any other name.
    English makes such a name a kind of its last word: a dark tan is a tan, and a shade word changes how light a
    colour is, not which hue it is, so the head's value holds even where the darker colour lies between two values
    (the survey puts "dark tan" between Brown and Beige, and "tan" on Brown)."""
    words = name.split()
    if len(words) < 2 or not set(words[:-1]) <= SHADES:
        return None
    near = nearest.get(words[-1])
    return near[0][1] if near is not None and is_placed(near) else None


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    """Survey colour name -> its sRGB code ("#380282")."""
    rows = (line.split("\t") for line in DATA.read_text(encoding="utf-8").splitlines() if "\t" in line)
    return {row[0]: row[1] for row in rows if not row[0].startswith("#")}


def code_step(name: str) -> float:
    """The largest CIEDE2000 difference that one step of one channel of the survey's 8-bit code for ``name`` makes:
    the survey gives a colour no finer than that, so two distances from it closer than this are a tie."""
    code = _codes()[name]
    rgb = [int(code[i : i + 2], 16) for i in (1, 3, 5)]
    steps = []
    for channel in range(3):
        for step in (-1, 1):
            moved = list(rgb)
            moved[channel] = min(max(moved[channel] + step, 0), 255)
            steps.append(lab("#" + "".join(f"{c:02x}" for c in moved)))
    return float(ciede2000_table(np.array([lab(code)]), np.array(steps))[0].max())

"""Rules of a facet that give a value more names: the parts of "Name (ABBR)" and "A & B", letter sizes, numbers
written out, gender words.

These are rules, not lists of entries: they apply to any taxonomy whose values have that shape. The mapper puts the
names they give in its alias table (method ``alias``), looked up after the value's own names and synonyms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tagllm.taxonomy import Value
from tagllm.text import normalize

_PAREN = re.compile(r"^(?P<base>[^()]+?)\s*\((?P<inner>[^()]+)\)\s*$")
_PREFIX_ABBR = re.compile(r"^(?P<abbr>[A-Z][A-Z0-9]{0,5})\s*(?:-\s*)?\((?P<full>[^()]+)\)$")
_NUMBER_WORDS = {"double": 2, "triple": 3, "four": 4, "quadruple": 4, "five": 5, "six": 6, "seven": 7}
_LETTER_SIZE = re.compile(r"^(?:(?P<n>[1-9])x|(?P<xs>x*))(?P<base>s|l)$")
_WORD_SIZE = re.compile(
    r"^(?:(?P<mult>double|triple|four|quadruple|five|six|seven|[1-9]x|x{1,6})[ -]?)?(?P<extra>extra[ -]?|x[ -]?)?"
    r"(?P<base>small|large|sm|lg|lrg|lge)$"
)
_EXTRAS = re.compile(r"^(?P<extras>(?:extra ?){2,6})(?P<base>small|large)$")
_BASE = {"small": "s", "sm": "s", "large": "l", "lg": "l", "lrg": "l", "lge": "l"}
_MEDIUM = frozenset({"m", "medium", "med", "md"})
MIN_SIZE_VALUES = 3
"""A facet is a size facet when at least this many of its values read as letter sizes (one value named "L" is not)."""

_JOINED = re.compile(r"\s*(?:,|&)\s*")
MIN_PART_WORDS = 2
_HALF = re.compile(r"^(?P<whole>\d+)\.5$")
_NUMBER = re.compile(r"^(?P<whole>\d+)(?P<half>\.5)?$")
SPELLED = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
)  # fmt: skip
"""English number words: a size up to twenty is written out by hand ("size eight", "nine and a half")."""
_RANGE = re.compile(r"^(?P<low>\d+)\s*-\s*(?P<high>\d+)\s+(?P<unit>months|years)$", re.IGNORECASE)
UNIT_SPELLINGS = {
    "months": ("m", "mo", "mos", "mth", "mths", "mnth", "mnths", "month", "months"),
    "years": ("y", "yr", "yrs", "year", "years", "yo"),
}
"""How sellers shorten the unit of an age range ("0-3m", "3-6 mths", "2-3 yrs", "4-5Y")."""
ONE_SIZE = (
    "one size", "one-size", "onesize", "one size fits all", "one size fits most", "osfa", "osfm", "free size", "o/s",
)  # fmt: skip
"""The ways to write the single size of a product that comes in one size only."""

GENDER_WORDS = {
    "male": ("man", "men", "mens", "him", "he", "gents", "gentleman", "gentlemen", "boy", "boys", "menswear"),
    "female": ("woman", "women", "womens", "ladies", "lady", "her", "she", "girl", "girls", "womenswear"),
    "unisex": (
        "gender neutral",
        "genderless",
        "men and women",
        "women and men",
        "all genders",
        "male and female",
        "female and male",
        "boys and girls",
        "girls and boys",
    ),
}
"""The words for each gender value (Male/Men, Female/Women, Unisex): a closed class, like letter sizes."""
_GENDER_NAMES = {
    "male": ("male", "men", "man", "mens"),
    "female": ("female", "women", "woman", "womens"),
    "unisex": ("unisex",),
}


def paren_aliases(name: str) -> list[str]:
    """ "Extra small (XS)" -> ["Extra small", "XS"]; "AO (Adults Only)" -> ["AO", "Adults Only"].

    The part in parentheses is a name of its own when it is written like one (an abbreviation, or words in title
    case); a lower-case qualifier ("Chinese (traditional)", "Forearm (elbow)") is not, but the part before it is.
    """
    match = _PAREN.match(name)
    if not match:
        return []
    base, inner = match.group("base").strip(), match.group("inner").strip()
    out = [base]
    if any(ch.isalpha() for ch in inner) and any(ch.isupper() for ch in inner):
        out.append(inner)
    return [a for a in out if a and a != name]


def size_code(text: str) -> str | None:
    """A letter size in canonical form ("M", "XL", "4XL", "3XS") or None: "X-Large", "Extra large", "XXXXL" -> ..."""
    low = re.sub(r"\s+", " ", text.strip().casefold().replace("-", " "))
    if low in _MEDIUM:
        return "M"
    compact = low.replace(" ", "")
    match = _EXTRAS.match(low)
    if match:  # "extra extra large": each "extra" is one X
        return _code(match.group("extras").count("extra"), _BASE[match.group("base")])
    match = _LETTER_SIZE.match(compact)
    if match:
        n = int(match.group("n")) if match.group("n") else len(match.group("xs") or "")
        return _code(n, match.group("base"))
    match = _WORD_SIZE.match(low)
    if match:
        base = _BASE[match.group("base")]
        mult, extra = match.group("mult"), match.group("extra")
        if mult is None:
            n = 1 if extra else 0
        elif mult in _NUMBER_WORDS:
            if not extra:
                return None
            n = _NUMBER_WORDS[mult]
        elif mult.endswith("x") and mult[0].isdigit():
            n = int(mult[0])
        else:
            n = len(mult) + (1 if extra else 0)
        return _code(n, base)
    return None


def _code(n: int, base: str) -> str:
    return f"{'X' * n}{base.upper()}" if n <= 3 else f"{n}X{base.upper()}"


def size_spellings(code: str) -> list[str]:
    """The common ways to write a letter size: "XL" -> XL, 1XL, X-Large, X Large, Extra large, Extra-large …"""
    if code == "M":
        return ["M", "Medium", "Med", "Md"]
    base = code[-1]
    n = code.count("X") if not code[0].isdigit() else int(code[0])
    word = "small" if base == "S" else "large"
    short = ["S", "Small", "Sm"] if base == "S" else ["L", "Large", "Lg", "Lrg"]
    if n == 0:
        return short
    out = ["X" * n + base, f"{n}X{base}", f"{n}X-{word}", "X" * n + f"-{word}", "X" * n + f" {word}"]
    if base == "L":  # a retailer's "XLG" for XL (not "2X", which some read as XXL and others as no size)
        out.append("X" * n + "Lg")
    if n == 1:
        out += [f"Extra {word}", f"Extra-{word}"]
    else:
        for name, count in _NUMBER_WORDS.items():
            if count == n:
                out.append(f"{name} extra {word}")
        out.append(f"{n} extra {word}")
        out.append("extra " * n + word)
    return out


def range_spellings(name: str) -> list[str]:
    """The common ways to write an age range ("0-3 months" -> 0-3m, 0-3 mths, 0 to 3 months …); [] for other names."""
    match = _RANGE.match(name.strip())
    if not match:
        return []
    low, high, unit = match.group("low"), match.group("high"), match.group("unit").casefold()
    out: list[str] = []
    for short in UNIT_SPELLINGS[unit]:
        out += [f"{low}-{high}{short}", f"{low}-{high} {short}", f"{low} to {high} {short}"]
    if unit == "years":  # "2-3 years old", "4-5 yrs old"
        out += [f"{low}-{high} {short} old" for short in ("years", "yrs", "year", "yr")]
    return [a for a in out if a.casefold() != name.casefold()]


def half_spellings(name: str) -> list[str]:
    """How a size with a half is written by hand ("9.5" -> 9 1/2, 9½, 9 ½); [] for other names."""
    match = _HALF.match(name.strip())
    if not match:
        return []
    whole = match.group("whole")
    return [f"{whole} 1/2", f"{whole}½", f"{whole} ½"]


def number_spellings(name: str) -> list[str]:
    """A number written out ("8" -> eight; "9.5" -> nine and a half); [] for other names. "one" and "zero" alone are
    left out ("one" says One size as often as size 1), and words past twenty. No decimal spellings: normalised, "20.0"
    would read as 200."""
    match = _NUMBER.match(name.strip())
    if not match:
        return []
    whole = int(match.group("whole"))
    if match.group("half"):
        return [f"{SPELLED[whole]} and a half"] if 0 < whole < len(SPELLED) else []
    return [SPELLED[whole]] if 1 < whole < len(SPELLED) else []


def part_aliases(values: list[Value]) -> Iterator[tuple[str, Value]]:
    """The parts of a name that joins kinds ("Coffee Makers & Espresso Machines" -> Coffee Makers, Espresso Machines)
    as names of that value: parts of two words or more (a lone "Clips" or "eye" says too little) ending in a plural
    noun, as kinds are named ("Mobile Phone" in "Mobile Phone & Tablet Tripods" qualifies the tripods), that are no
    value's own name and a part of no other value's name."""
    names = {normalize(v.name) for v in values}
    owners: dict[str, list[tuple[str, Value]]] = {}
    for value in values:
        if "&" not in value.name:
            continue
        for part in _JOINED.split(value.name):
            part = part.strip()
            key = normalize(part)
            words = key.split()
            if len(words) >= MIN_PART_WORDS and _plural(words[-1]) and key not in names:
                owners.setdefault(key, []).append((part, value))
    yield from _owned_once(owners)


def shared_head_aliases(values: list[Value]) -> Iterator[tuple[str, Value]]:
    """A qualifier joined to another before a head they share, written with that head ("Mobile & Smart Phones" ->
    Mobile Phones, "Training, Choke & Pinch Collars" -> Training Collars, "Baby & Toddler Tops" -> Baby Tops): each
    part that ``qualifies_shared_head``, with the last part's words after its first. Like ``part_aliases``, no value's
    own name and given to one value only."""
    names = {normalize(v.name) for v in values}
    owners: dict[str, list[tuple[str, Value]]] = {}
    for value in values:
        if "&" not in value.name:
            continue
        parts = _parts(value.name)
        head = parts[-1].split()[1:]
        for part in parts[:-1]:
            alias = " ".join([part, *head])
            if qualifies_shared_head(part, value.name) and normalize(alias) not in names:
                owners.setdefault(normalize(alias), []).append((alias, value))
    yield from _owned_once(owners)


def qualifies_shared_head(part: str, name: str) -> bool:
    """Whether ``part`` of the "A & B" ``name`` qualifies the head the parts share rather than naming a kind: it ends in
    no plural and the last part has two words or more ending in a plural ("Mobile Phone" in "Mobile Phone & Tablet
    Tripods": the tripods' qualifier, no mobile phone)."""
    parts = _parts(name)
    last = parts[-1].split() if parts else []
    return (
        bool(parts)
        and part.strip() != parts[-1]
        and len(last) >= MIN_PART_WORDS
        and _plural(last[-1].casefold())
        and not _plural(part.split()[-1].casefold())
    )


def _parts(name: str) -> list[str]:
    """The parts of a name that joins kinds ("Training, Choke & Pinch Collars": Training, Choke, Pinch Collars)."""
    return [p.strip() for p in _JOINED.split(name) if p.strip()]


def _owned_once(owners: dict[str, list[tuple[str, Value]]]) -> Iterator[tuple[str, Value]]:
    """Each alias that names one value only (its first spelling), not one that several values' rules give."""
    for found in owners.values():
        if len({v.id for _, v in found}) == 1:
            yield found[0]


def _plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith("ss")


def facet_aliases(values: Iterable[Value]) -> Iterator[tuple[str, Value]]:
    """(alias, value) pairs that the rules give one facet's values."""
    from tagllm.mapping.abbreviations import facet_word_aliases, initials_aliases, older_spellings

    values = list(values)
    yield from part_aliases(values)
    yield from shared_head_aliases(values)
    yield from initials_aliases(values)
    yield from facet_word_aliases(values)
    for value in values:
        for alias in paren_aliases(value.name):
            yield alias, value
        for alias in range_spellings(value.name):
            yield alias, value
        for alias in half_spellings(value.name):
            yield alias, value
        for alias in number_spellings(value.name):
            yield alias, value
        for alias in older_spellings(value.name):
            yield alias, value
        if value.name.casefold() in ONE_SIZE:
            for alias in ONE_SIZE:
                if alias != value.name.casefold():
                    yield alias, value
    codes: dict[str, list[Value]] = {}
    for value in values:
        names = [value.name, *paren_aliases(value.name)]
        found = {c for c in (size_code(n) for n in names) if c}
        if len(found) == 1:
            codes.setdefault(found.pop(), []).append(value)
    if len(codes) >= MIN_SIZE_VALUES:
        for code, owners in codes.items():
            if len(owners) == 1:
                for spelling in size_spellings(code):
                    yield spelling, owners[0]
    genders: dict[str, Value] = {}
    for value in values:
        low = value.name.casefold().replace("'", "")
        for gender, spellings in _GENDER_NAMES.items():
            if low in spellings:
                genders[gender] = value
    if "male" in genders and "female" in genders:
        for gender, value in genders.items():
            for word in GENDER_WORDS[gender]:
                yield word, value

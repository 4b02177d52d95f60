"""The data contract: products in, tag results out, and the pieces of provenance between them."""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Sequence
from typing import Any, Literal
from uuid import UUID

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tagllm.field_values import (
    attribute_texts,
    attributes_problem,
    decoded,
    id_problem,
    is_infinite,
    is_number,
    json_kind,
    number_text,
    query_texts,
    well_formed,
)
from tagllm.image_refs import image_references
from tagllm.kept import MAX_KEPT_OUTPUT, Rejection, cut_rejections, kept_text
from tagllm.missing import is_missing_cell
from tagllm.text import html_text

PRODUCT_FIELDS = ("id", "title", "description", "brand", "attributes", "images", "queries")
GOLD_PREFIX = "gold_"
# The most of a product's text the tagger reads: twice the longest real one measured (4,267 characters, a Flipkart
# product with its specifications). A longer text is a spreadsheet cell gone wrong: the embedder reads its first
# tokens only, and the lexical evidence would be read off pages of noise.
MAX_TEXT_CHARS = 8_000
# how a degraded result's reason starts (``TagResult.degraded``; also in a CSV/Parquet row's error cell, where
# --resume reads it)
NO_PHOTO_NOTE = "no photo could be read, tagged from the text alone: "
# how the note of a result tagged from its text because its photos are remote URLs not fetched starts (in a CSV/Parquet
# row's error cell, where --resume --allow-remote-images reads it)
NOT_FETCHED_NOTE = "remote photos not fetched (--allow-remote-images not given), tagged from the text alone: "


class Product(BaseModel):
    """One product to tag. Unknown keys are kept in ``extra``; ``gold_*`` keys are answers and are dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    title: str = Field(min_length=1)
    description: str | None = None
    brand: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    images: list[str] = Field(default_factory=list)
    queries: list[str] = Field(default_factory=list, description="search queries that led to this product")
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split_extra(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        known = {k: v for k, v in data.items() if k in fields}
        given = known.pop("extra", None)
        # a mapping is the extra columns; anything else is an input's own column called extra (a note, "gift wrap"),
        # kept in extra as any other column: refused, it made each such record an error record
        extra = dict(given) if isinstance(given, dict) else {} if given is None else {"extra": given}
        for key, value in data.items():
            if key not in fields and not key.startswith(GOLD_PREFIX):
                extra[key] = value
        known["extra"] = extra
        for key in ("title", "description", "brand", "attributes", "images", "queries"):
            if is_missing_cell(known.get(key)):  # pandas' missing cell (``df.to_dict("records")``): no value
                known[key] = None
            elif isinstance(known.get(key), np.ndarray):  # a list cell of a DataFrame read from Parquet by pandas
                known[key] = known[key].tolist()
        number = known.get("id")
        if is_number(number) and not is_infinite(number):
            known["id"] = str(number)  # an infinite one is refused below
        elif isinstance(number, UUID):  # a database's UUID key (psycopg, SQLAlchemy rows; a model's ``id: UUID``)
            known["id"] = str(number)
        return known

    @field_validator("id", mode="before")
    @classmethod
    def _usable_id(cls, value: Any) -> Any:
        """An id that cannot name a product is refused saying what it is: pydantic's "Input should be a valid
        string" said neither, and an id holding a NUL was taken, and stopped the CSV readers of the output."""
        if is_number(value) and is_infinite(value):  # 1e400 and 2e400 alike: every such id would be "inf"
            raise ValueError("the number is too large to be read (infinite); write the id as a string")
        if isinstance(value, bytes):
            value = decoded(value)
        problem = id_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("title", "description", "brand", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        """A number is text, as an id is (a book titled 1984, a brand 1664): it was an error record "Input should be
        a valid string"; a boolean, list or object is no text, and the message says what came."""
        if isinstance(value, bytes):
            value = decoded(value)
        if isinstance(value, str):
            return well_formed(value)
        if value is None:
            return value
        if is_missing_cell(value):
            return None
        if is_number(value) and is_infinite(value):
            raise ValueError("the number is too large to be read (infinite); write it as a string")
        if is_number(value):
            return number_text(value)  # 1984.0 from a float column with a missing cell: 1984
        raise ValueError(f"expected text (a string or a number), got {json_kind(value)}")

    @field_validator("description", mode="after")
    @classmethod
    def _description_text(cls, value: str | None) -> str | None:
        """A description in HTML read as its text: its markup was read as words, and took the characters read."""
        return (html_text(value) or None) if value is not None else None

    @field_validator("title", mode="after")
    @classmethod
    def _visible_title(cls, value: str) -> str:
        """A title of invisible characters alone (zero-width spaces, a word joiner, a byte order mark: a cell pasted
        from a web page) is no title, as a blank one is: it was tagged from no text, as the index's guess."""
        if any(not character.isspace() and unicodedata.category(character) != "Cf" for character in value):
            return value
        raise PydanticCustomError("string_too_short", "String should have at least 1 character")

    @field_validator("attributes", mode="before")
    @classmethod
    def _stringify_attributes(cls, value: Any) -> Any:
        if value is None:
            return {}
        texts = attribute_texts(decoded(value))  # a value of bytes was read as Python's repr of them: "b'Red'"
        if isinstance(texts, dict):
            return texts
        raise ValueError(attributes_problem(texts))

    @field_validator("images", mode="before")
    @classmethod
    def _image_references(cls, value: Any) -> list[str]:
        return image_references(decoded(value))  # one reference per photo, however the catalogue listed them

    @field_validator("queries", mode="before")
    @classmethod
    def _query_texts(cls, value: Any) -> list[str]:
        # pydantic's "Input should be a valid string" named neither the item nor a fix
        return query_texts(decoded(value))

    def text(self, *, max_description_chars: int = 600) -> str:
        """The text the embedder and the lexical model read: title, brand, attributes, description head, at most
        MAX_TEXT_CHARS characters.

        The brand is left out when the title already names it (9,966 of 11,272 Flipkart titles with a brand do):
        written twice, a brand such as "Andrew Christian" outweighed the rest of a short title."""
        parts = [self.title]
        if self.brand and self.brand.casefold() not in self.title.casefold():
            parts.append(self.brand)
        if self.attributes:
            parts.append("; ".join(f"{k}: {v}" for k, v in self.attributes.items()))
        if self.queries:
            parts.append(" | ".join(self.queries))
        if self.description:
            parts.append(self.description[:max_description_chars])
        return "\n".join(parts)[:MAX_TEXT_CHARS]


def suggest_field(name: str) -> str | None:
    """The product field an unknown column was probably meant to be, if any."""
    match = difflib.get_close_matches(name.lower(), PRODUCT_FIELDS, n=1, cutoff=0.75)
    return match[0] if match else None


class LabelledProduct(Product):
    """A product with reviewed tags per facet, as stored in the example index (values are taxonomy ids)."""

    labels: dict[str, list[str]] = Field(default_factory=dict)


class MappingInfo(BaseModel):
    """How a raw string was mapped onto a taxonomy value."""

    raw: str
    method: str = Field(description="exact | normalized | synonym | translation | fuzzy | embedding | id")
    score: float = 1.0


class Tag(BaseModel):
    """One taxonomy value assigned to a product."""

    facet: str
    id: str
    name: str
    path: str | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    source: str = Field(description="what produced the tag: retrieval | llm | ancestor | …")
    mapping: MappingInfo | None = None


class Neighbour(BaseModel):
    """A labelled example retrieved for a product."""

    id: str
    score: float
    title: str
    labels: dict[str, list[str]] = Field(default_factory=dict)


class Candidate(BaseModel):
    """A taxonomy value offered for a facet, with the evidence behind it."""

    id: str
    name: str
    score: float
    evidence: dict[str, float] = Field(default_factory=dict)


class ImageUse(BaseModel):
    """One of the product's photos: whether it was used, and if not, why (``skipped``: not fetched by the settings'
    choice, a remote URL without ``allow_remote_images``; ``error``: it could not be read)."""

    source: str
    status: Literal["ok", "error", "skipped"]
    width: int | None = None
    height: int | None = None
    error: str | None = None


class Provenance(BaseModel):
    """Everything a reviewer needs to see why a product got its tags."""

    backend: str
    model: str | None = None
    taxonomy_version: str
    index_version: str | None = None
    template: str | None = None
    template_hash: str | None = None
    neighbours: list[Neighbour] = Field(default_factory=list)
    candidates: dict[str, list[Candidate]] = Field(default_factory=dict)
    images: list[ImageUse] = Field(default_factory=list, description="the photos read, and why any was not")
    raw_output: str | None = None
    parsed_output: Any = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float | None = None

    @field_validator("raw_output", mode="after")
    @classmethod
    def _raw_kept(cls, value: str | None) -> str | None:
        return None if value is None else kept_text(value, MAX_KEPT_OUTPUT)

    @field_validator("parsed_output", mode="after")
    @classmethod
    def _parsed_kept(cls, value: Any) -> Any:
        """A parsed answer longer than ``MAX_KEPT_OUTPUT`` as JSON is not kept (a cut object is no object): a note
        says so, and ``raw_output`` keeps its start."""
        if isinstance(value, str):
            return kept_text(value, MAX_KEPT_OUTPUT)
        if value is None or isinstance(value, int | float | bool):
            return value
        size = len(json.dumps(value, ensure_ascii=False, default=str))
        if size <= MAX_KEPT_OUTPUT:
            return value
        return f"[not kept: {size:,} characters as JSON, over the {MAX_KEPT_OUTPUT:,} kept; raw_output holds its start]"


class RecordError(BaseModel):
    """Why a record produced no tags; the rest of the batch went on."""

    field: str | None = None
    line: int | None = None
    record_id: str | None = None
    message: str
    is_retryable: bool = False


class Routing(BaseModel):
    """Why a product took the path it did in routing mode (``route_threshold``): the no-LLM default's confidence
    per facet, the facets under their threshold (empty: the default's tags were kept), and the LLM's failure
    when the product was routed but the LLM gave no answer (the default's tags were kept then too)."""

    confidence: dict[str, float] = Field(default_factory=dict)
    below: list[str] = Field(default_factory=list)
    error: RecordError | None = None
    kept_default: dict[str, str] | None = Field(
        None,
        description="facets of an LLM answer that mapped to no value of the taxonomy there (the rest of the answer "
        "did), or whose step failed (``facet_errors``), each with why: the default's tags of those facets were kept",
    )


class TagResult(BaseModel):
    """The tags for one product (or the error that stopped it).

    In routing mode ``source`` says which path made the tags (``default``: the no-LLM default; ``llm``: the LLM
    backend) and ``routing`` why; outside routing mode both are None. ``degraded``: an ok result tagged from the
    text alone because none of the product's photos could be read. ``facet_errors``: an ok result some of whose
    facets went untagged because the step asking for them failed (a partial result)."""

    product_id: str
    status: Literal["ok", "error"] = "ok"
    tags: dict[str, list[Tag]] = Field(default_factory=dict)
    rejected: list[Rejection] = Field(default_factory=list)
    provenance: Provenance | None = None
    error: RecordError | None = None
    source: Literal["default", "llm"] | None = None
    routing: Routing | None = None
    degraded: RecordError | None = Field(
        None,
        description="tagged without evidence the product has: its photos, none of which could be read (field "
        "images); the tags are the text's, and --resume tags it again",
    )
    unfetched_photos: list[str] | None = Field(
        None,
        description="the product's photos not fetched by the settings' choice (remote URLs without "
        "--allow-remote-images) when none of its photos was read: the tags are the text's, and --resume with "
        "--allow-remote-images tags it again",
    )

    facet_errors: dict[str, RecordError] | None = Field(
        None,
        description="facets left without the backend's tags because the request that asked for them failed (two_step: "
        "the attribute step, after the category step was answered): each facet with why; the other facets' tags stand "
        "(the category's, from the first step), and --resume tags the product again",
    )

    @field_validator("rejected", mode="after")
    @classmethod
    def _rejections_kept(cls, value: list[Rejection]) -> list[Rejection]:
        return cut_rejections(value)

    # the facets the tagger was asked for, set by ``Tagger``: not written out, so a result read back from a file
    # does not know them
    _facets: tuple[str, ...] | None = PrivateAttr(None)

    def best(self, facet: str) -> Tag | None:
        """The most confident tag of a facet (the leaf, for a hierarchical facet), or None when the tagger abstained
        (or the product failed). A facet the tagger did not tag (misspelt, or left out of its ``facets``) raises
        ValueError naming the facets it tagged, where None read as an abstention; a result read back from a file does
        not know which facets were asked for, and gives None."""
        if self._facets is not None and facet not in self._facets and facet not in self.tags:
            raise ValueError(self._not_tagged(facet, self._facets))
        tags = [t for t in self.tags.get(facet, []) if t.source != "ancestor"] or self.tags.get(facet, [])
        return max(tags, key=lambda t: t.confidence) if tags else None

    def _not_tagged(self, facet: str, facets: Sequence[str]) -> str:
        close = difflib.get_close_matches(facet, facets, n=1)
        meant = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{self.product_id}: no facet {facet!r} was tagged{meant}; the facets tagged: {', '.join(facets)}"

    def __eq__(self, other: object) -> bool:
        """Equal by what the result holds: the facets asked for, which a result read back from a file lacks, are
        not part of it."""
        if not isinstance(other, TagResult):
            return NotImplemented
        return self.__dict__ == other.__dict__

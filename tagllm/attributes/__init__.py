"""Facets learned from labelled data: attribute facets from "Key: Value" tags, and where each facet applies.

``tags`` (reading "Key: Value" tags, the keys that fold their spellings) ▸ ``facets`` (``learn_attributes``: which
keys are facets; ``kinds``: values that are numbers, dates, codes or descriptions; ``variants``: misspellings) ▸
``resolver`` (``AttributeResolver``: tags onto a taxonomy) ▸ ``scopes`` (``learn_scopes``) ▸ ``builder``
(``learn_taxonomy``: all of it from a file of labelled products) ▸ ``taxonomy_file`` (the checks around writing what
it learned, and the write).
"""

from tagllm.attributes.builder import LearnedTaxonomy, learn_taxonomy
from tagllm.attributes.facets import (
    DEFAULT_MIN_PRODUCTS,
    DEFAULT_MIN_VALUE_COUNT,
    MIN_MULTI_SHARE,
    MIN_REPEAT_SHARE,
    AttributeReport,
    LearnedFacet,
    LearnedValue,
    LeftOut,
    learn_attributes,
    with_attribute_facets,
)
from tagllm.attributes.kinds import MAX_VALUE_CHARS, MAX_VALUE_WORDS
from tagllm.attributes.resolver import AttributeResolver
from tagllm.attributes.scopes import DEFAULT_EVERYWHERE_SHARE, DEFAULT_SCOPE_SHARE, DEFAULT_SCOPE_SUPPORT, learn_scopes
from tagllm.attributes.tags import (
    PLACEHOLDERS,
    SPELLINGS,
    is_placeholder,
    key_of,
    parse_attribute_tags,
    states,
    value_key,
)

__all__ = [
    "DEFAULT_EVERYWHERE_SHARE",
    "DEFAULT_MIN_PRODUCTS",
    "DEFAULT_MIN_VALUE_COUNT",
    "DEFAULT_SCOPE_SHARE",
    "DEFAULT_SCOPE_SUPPORT",
    "MAX_VALUE_CHARS",
    "MAX_VALUE_WORDS",
    "MIN_MULTI_SHARE",
    "MIN_REPEAT_SHARE",
    "PLACEHOLDERS",
    "SPELLINGS",
    "AttributeReport",
    "AttributeResolver",
    "LearnedFacet",
    "LearnedTaxonomy",
    "LearnedValue",
    "LeftOut",
    "is_placeholder",
    "key_of",
    "learn_attributes",
    "learn_scopes",
    "learn_taxonomy",
    "parse_attribute_tags",
    "states",
    "value_key",
    "with_attribute_facets",
]

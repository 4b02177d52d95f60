"""The controlled taxonomy: facets, values with stable ids, hierarchy, synonyms, other-language labels; loaders.

``nodes`` (``Value``, ``Facet``) ▸ ``model`` (``Taxonomy``: lookups, hierarchy, which facets apply where, version)
▸ loaders: ``own`` (the project's YAML/JSON format; ``own_writer`` writes it), ``synonyms``, ``trees`` (path
lists, Google's taxonomy), ``shopify`` ▸ ``loader`` (``load_taxonomy``: by name or path, format told from the file).
"""

from tagllm.taxonomy.loader import REPO_TAXONOMY_DIR, load_taxonomy, resolve_taxonomy_path, taxonomy_dirs
from tagllm.taxonomy.model import MIN_KIND_VALUES, Taxonomy
from tagllm.taxonomy.nodes import CATEGORY, PATH_SEPARATOR, Facet, Value
from tagllm.taxonomy.own import load_own
from tagllm.taxonomy.own_writer import save_own, to_own_format
from tagllm.taxonomy.shopify import load_shopify
from tagllm.taxonomy.synonyms import add_synonyms, load_synonyms
from tagllm.taxonomy.trees import from_paths, load_google, load_paths

__all__ = [
    "CATEGORY",
    "MIN_KIND_VALUES",
    "PATH_SEPARATOR",
    "REPO_TAXONOMY_DIR",
    "Facet",
    "Taxonomy",
    "Value",
    "add_synonyms",
    "from_paths",
    "load_google",
    "load_own",
    "load_paths",
    "load_shopify",
    "load_synonyms",
    "load_taxonomy",
    "resolve_taxonomy_path",
    "save_own",
    "taxonomy_dirs",
    "to_own_format",
]

"""``Prompt``: a loaded template that renders one product, its candidates and examples into chat messages."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagllm.errors import ConfigError
from tagllm.models import MAX_TEXT_CHARS, Candidate, LabelledProduct, Product
from tagllm.prompts.lookup import prompt_dirs, resolve_prompt_path
from tagllm.prompts.messages import MessageCollector
from tagllm.prompts.sandbox import BUDGET, Budget, environment, spend, template_error, to_json
from tagllm.prompts.views import TaxonomyView
from tagllm.schema import candidate_options
from tagllm.taxonomy import Taxonomy

DEFAULT_DESCRIPTION_CHARS = 600
DEFAULT_EXAMPLE_DESCRIPTION_CHARS = 200


class MissingTemplate(ConfigError):
    """A template extends, includes or imports one that is not there; the message names the file and line."""


@dataclass
class Prompt:
    """A loaded template. ``render`` turns one product, its candidates and examples into chat messages."""

    name: str
    path: Path
    source: str
    hash: str
    taxonomy: Taxonomy
    _template: Any = field(repr=False)
    description_chars: int = DEFAULT_DESCRIPTION_CHARS
    example_description_chars: int = DEFAULT_EXAMPLE_DESCRIPTION_CHARS

    def render(
        self,
        product: Product,
        candidates: dict[str, list[Candidate]],
        examples: list[tuple[LabelledProduct, float]],
        *,
        category: str | None = None,
        images: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """The chat messages for one product: static instructions, then examples, candidates, product.

        ``category``: the category id already chosen, when this renders the attribute step of a two-step run.
        ``images``: the sources of the product's photos the backend will be given, in order; the template places
        them with ``image(i)`` (a message holding one has a list of content parts, see ``MessageCollector``)."""
        collector = MessageCollector(images)
        context = self.context(product, candidates, examples, category=category)
        context["product"]["images"] = [{"index": i, "source": source} for i, source in enumerate(images)]
        context["message"] = collector.message
        token = BUDGET.set(Budget())
        context["image"] = collector.image
        try:
            stray = "".join(self._stray_text(context))
        except Exception as exc:  # whatever a template does wrong, the user reads one line: where and what
            raise template_error(self.path, exc) from None
        finally:
            BUDGET.reset(token)
        if stray.strip():
            raise ConfigError(
                f"prompt {self.path}: text outside a message block ({stray.strip()[:60]!r}); "
                'wrap it in {% call message("system"|"user") %}…{% endcall %}'
            )
        if not collector.messages:
            raise ConfigError(f"prompt {self.path}: renders no messages; see prompts/README.md")
        return collector.messages

    def _stray_text(self, context: dict[str, Any]) -> Iterator[str]:
        """Render, keeping what is written outside message blocks (an error) only as far as it is shown."""
        kept = 0
        for chunk in self._template.generate(context):
            spend(chars=len(chunk))
            if kept < 200:
                kept += len(chunk)
                yield chunk

    def context(
        self,
        product: Product,
        candidates: dict[str, list[Candidate]],
        examples: list[tuple[LabelledProduct, float]],
        *,
        category: str | None = None,
    ) -> dict[str, Any]:
        """The variables a template sees (documented in prompts/README.md)."""
        tax = self.taxonomy
        facets = [self._facet(name) for name in candidates]
        offered = {
            name: [
                self._candidate(label, tax.values.get(cand.id), cand)
                for label, cand in candidate_options(tax, name, cands)
            ]
            for name, cands in candidates.items()
        }
        return {
            "taxonomy": TaxonomyView(tax),
            "facets": facets,
            "candidates": offered,
            "examples": [self._example(ex, score, list(candidates)) for ex, score in examples],
            "product": self._product(product, self.description_chars),
            "answer_format": self._answer_format(facets),
            "category": self._category(category),
        }

    # -- context pieces --------------------------------------------------------------------------------------
    def _facet(self, name: str) -> dict[str, Any]:
        facet = self.taxonomy.facets[name]
        return {
            "name": facet.name,
            "title": facet.title or facet.name,
            "description": facet.description,
            "hierarchical": facet.hierarchical,
            "multi_valued": facet.multi_valued,
            "required": facet.required,
            "labels": dict(facet.labels),
            "size": len(self.taxonomy.facet_values(name)),
        }

    def _candidate(self, label: str, value: Any, candidate: Candidate) -> dict[str, Any]:
        return {
            "label": label,
            "id": candidate.id,
            "name": candidate.name,
            "path": value.path if value is not None else None,
            "labels": dict(value.labels) if value is not None else {},
            "score": round(candidate.score, 3),
        }

    def _category(self, category: str | None) -> dict[str, Any] | None:
        """The category chosen in step 1, as the attribute step shows it (``label``: its path, as step 1 answered)."""
        value = self.taxonomy.values.get(category) if category is not None else None
        if value is None:
            return None
        return {
            "id": value.id,
            "name": value.name,
            "label": self.taxonomy.path_of(value.id),
            "labels": dict(value.labels),
        }

    @staticmethod
    def _product(product: Product, description_chars: int) -> dict[str, Any]:
        # every text is cut to MAX_TEXT_CHARS, the most of a product's text retrieval reads: one product with a
        # field of millions of characters (a spec sheet pasted into one cell) made a prompt past the renderer's
        # limit, and the run stopped there with the products after it untagged
        shown: dict[str, Any] = {"title": _cut(product.title, MAX_TEXT_CHARS)}
        if product.brand:
            shown["brand"] = _cut(product.brand, MAX_TEXT_CHARS)
        if product.attributes:  # a copy: the template's, not the product's
            attributes = product.attributes.items()
            shown["attributes"] = {_cut(k, MAX_TEXT_CHARS): _cut(v, MAX_TEXT_CHARS) for k, v in attributes}
        if product.queries:
            shown["queries"] = [_cut(q, MAX_TEXT_CHARS) for q in product.queries]
        if product.description and description_chars > 0:
            shown["description"] = _cut(product.description, description_chars)
        # The product is shown as a JSON object: whatever its text says (quotes, newlines, "ignore the
        # above"),
        # it stays inside a string literal and cannot end the section or forge another message.
        # Every documented field is there, empty where the product has none: under StrictUndefined a missing key
        # stopped a run at the first product without a brand. The JSON keeps only what the product has.
        # So is images: an example's photos are not shown, and a macro showing a product and its photos stopped the
        # run once an example was retrieved ('dict object' has no attribute 'images').
        empty: dict[str, Any] = {"brand": "", "attributes": {}, "queries": [], "description": "", "images": []}
        return {**empty, **shown, "id": product.id, "json": to_json(shown)}

    def _example(self, example: LabelledProduct, score: float, facets: list[str]) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        for name in facets:
            labels = self._label_names(name, example.labels.get(name, []))
            facet = self.taxonomy.facets[name]
            answer[name] = labels if facet.multi_valued else (labels[0] if labels else None)
        product = self._product(example, self.example_description_chars)
        return {
            "product": product,
            "similarity": round(float(score), 3),
            "answer": answer,
            "answer_json": to_json(answer),
        }

    def _label_names(self, facet: str, ids: list[str]) -> list[str]:
        tax = self.taxonomy
        known = [i for i in dict.fromkeys(ids) if i in tax.values and tax.values[i].facet == facet]
        if tax.facets[facet].hierarchical:
            # A labelled example usually stores its ancestors too; the answer names only the most specific
            # node.
            covered = {a.id for i in known for a in tax.ancestors(i)}
            known = [i for i in known if i not in covered]
            return [tax.path_of(i) for i in known]
        return [tax.values[i].name for i in known]

    @staticmethod
    def _answer_format(facets: list[dict[str, Any]]) -> str:
        parts = []
        for f in facets:
            if f["multi_valued"]:
                shape = "[…]"
            elif f["required"]:
                shape = '"…"'
            else:
                shape = '"…" | null'
            parts.append(f'"{f["name"]}": {shape}')
        return "{" + ", ".join(parts) + "}"


def _template_sources(env: Any, name: str, seen: set[str] | None = None) -> list[str]:
    """The template's source and those of the templates it extends, includes or imports, in a stable order. One it
    names that is not there is refused naming the file and line that name it (the error named neither, and a prompt
    including several files left the user to search them all); one an ``include … ignore missing`` or a list of
    choices names may be missing, as Jinja renders them."""
    from jinja2 import TemplateNotFound

    seen = seen if seen is not None else set()
    if name in seen:
        return []
    seen.add(name)
    source, filename, _ = env.loader.get_source(env, name)
    sources = [source]
    references = _references(env.parse(source))
    for ref in sorted(references):
        try:
            sources.extend(_template_sources(env, ref, seen))
        except TemplateNotFound as exc:
            line = references[ref]
            if line is not None:
                raise MissingTemplate(f"prompt {filename}:{line}: {exc}") from None
    return sources


def _references(tree: Any) -> dict[str, int | None]:
    """The templates a parsed template names by a literal name, each with the first line that requires it, or None
    where every reference lets it be missing (``ignore missing``, or one of a list of choices)."""
    from jinja2 import nodes

    references: dict[str, int | None] = {}
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        if isinstance(node.template, nodes.Const) and isinstance(node.template.value, str):
            optional = getattr(node, "ignore_missing", False)
            names, line = [node.template.value], None if optional else node.lineno
        elif isinstance(node.template, nodes.List | nodes.Tuple):
            names = [i.value for i in node.template.items if isinstance(i, nodes.Const) and isinstance(i.value, str)]
            line = None
        else:  # a name computed at render time: Jinja says then whether it is there
            continue
        for ref in names:
            known = references.get(ref)
            references[ref] = line if known is None else known if line is None else min(known, line)
    return references


def _open_template(name_or_path: str | Path) -> tuple[Path, Any, list[str]]:
    """The template's resolved path, its compiled form, and its sources with those it extends or includes."""
    path = resolve_prompt_path(name_or_path).resolve()
    if path.name.startswith("."):
        raise ConfigError(f"prompt {path}: hidden files are not prompt templates")
    # each directory once: ./prompts is the repository's own when run from its root, and was listed twice
    dirs = dict.fromkeys([path.parent, *(d.resolve() for d in prompt_dirs() if d.is_dir())])
    env = environment(list(dirs))
    try:
        template = env.get_template(path.name)
        sources = _template_sources(env, path.name)
    except MissingTemplate:  # said already, naming the file and line that name it
        raise
    except Exception as exc:  # a syntax error, a missing include, a literal too large to read
        raise template_error(path, exc) from None
    return path, template, sources


def _digest(sources: list[str]) -> str:
    return hashlib.sha256("\0".join(sources).encode("utf-8")).hexdigest()[:16]


def prompt_hash(name_or_path: str | Path) -> str:
    """The hash ``Prompt.hash`` records: of the template's source and of those it extends, includes or imports, so
    an edit to a shared include changes it as an edit to the template does."""
    return _digest(_open_template(name_or_path)[2])


def load_prompt(name_or_path: str | Path, taxonomy: Taxonomy) -> Prompt:
    """Load a template by name (looked up in ``prompt_dirs()``) or path, ready to render for ``taxonomy``."""
    path, template, sources = _open_template(name_or_path)
    return Prompt(
        name=path.stem,
        path=path,
        source=sources[0],
        hash=_digest(sources),
        taxonomy=taxonomy,
        _template=template,
    )


def _cut(text: str, limit: int) -> str:
    """``text`` up to ``limit`` characters, an ellipsis marking a cut."""
    return text[:limit] + ("…" if len(text) > limit else "")

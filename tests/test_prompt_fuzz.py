"""Fuzzing the prompt templates: whatever an analyst writes renders or is one template error, never a traceback,
a hang, a flood of memory, or a change to the shared taxonomy."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagllm.errors import ConfigError
from tagllm.models import Candidate, LabelledProduct, Product
from tagllm.prompts import load_prompt
from tagllm.taxonomy import Taxonomy, load_taxonomy

NUMBERS = st.sampled_from(["0", "1", "-1", "2", "7", "10", "100", "999999999", "10**9", "2**64", "0.5", "1e308"])
STRINGS = st.sampled_from(['"x"', '""', '"%s"', '"%0999999999d"', '"{:>999999999}"', '"{}"', "product.title"])
NAMES = st.sampled_from(
    [
        "product", "product.title", "product.json", "product.attributes", "product.nothing", "prodcut",
        "taxonomy", "taxonomy.name", "taxonomy.values", "taxonomy.facets", "taxonomy.values['color-red']",
        "taxonomy._taxonomy", "taxonomy.__class__", "candidates", "candidates.category", "examples", "facets",
        "answer_format", "loop", "message", "range", "lipsum", "namespace", "cycler", "joiner", "dict",
    ]
)  # fmt: skip
FILTERS = st.sampled_from(
    [
        "length", "upper", "json", "list", "join", "join(',')", "center(999999999)", "center(5)", "indent(999999999)",
        "wordwrap(1)", "truncate(999999999)", "slice(999999999)", "batch(999999999, 'x')", "format(1)", "first",
        "sum", "sort", "reverse", "string", "int", "round(999999999)", "default('d')", "tojson", "map('upper')",
        "attr('__class__')", "selectattr('name')", "dictsort", "unique", "wordcount", "filesizeformat",
    ]
)  # fmt: skip
METHODS = st.sampled_from(
    [
        ".ljust(999999999)", ".zfill(999999999)", ".format(1)", ".format(999999999)", ".split()", ".pop()",
        ".append(1)", ".clear()", ".keys()", ".items()", ".get('x')", ".update({})", ".__class__", ".mro()",
    ]
)  # fmt: skip
OPERATORS = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "~", "==", "and", "or", "in"])


def expressions() -> st.SearchStrategy[str]:
    atoms = st.one_of(NUMBERS, STRINGS, NAMES, st.just("[1, 2, 3]"), st.just("{'a': 1}"), st.just("range(10**9)"))
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.tuples(inner, OPERATORS, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, FILTERS).map(lambda t: f"({t[0]}|{t[1]})"),
            st.tuples(inner, METHODS).map(lambda t: f"{t[0]}{t[1]}"),
            st.tuples(inner).map(lambda t: f"range({t[0]})"),
            st.tuples(inner).map(lambda t: f"f({t[0]})"),  # the recursive macro below, when it is defined
        ),
        max_leaves=6,
    )


def statements() -> st.SearchStrategy[str]:
    text = st.sampled_from(["Tag this.", "\n", "{{", "{% endfor %}", "}}", "{#", "x" * 50])
    output = expressions().map(lambda e: "{{ " + e + " }}")
    leaf = st.one_of(text, output, expressions().map(lambda e: "{% set v = " + e + " %}"))
    includes = st.sampled_from(['{% include ".env" %}', '{% include "part.j2" %}', '{% include "fuzz.j2" %}'])
    return st.recursive(
        st.one_of(leaf, includes),
        lambda inner: st.one_of(
            st.tuples(expressions(), st.lists(inner, max_size=3)).map(
                lambda t: "{% for i in " + t[0] + " %}" + "".join(t[1]) + "{% endfor %}"
            ),
            st.tuples(expressions(), st.lists(inner, max_size=3)).map(
                lambda t: "{% if " + t[0] + " %}" + "".join(t[1]) + "{% endif %}"
            ),
            st.lists(inner, max_size=3).map(
                lambda body: "{% macro f(n) %}" + "".join(body) + "{{ f(n) }}{% endmacro %}"
            ),
            st.tuples(st.sampled_from(["system", "user", "assistant", "bot"]), st.lists(inner, max_size=3)).map(
                lambda t: '{% call message("' + t[0] + '") %}' + "".join(t[1]) + "{% endcall %}"
            ),
        ),
        max_leaves=8,
    )


@pytest.fixture(scope="module")
def shared() -> Taxonomy:
    return load_taxonomy("demo")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    (path / ".env").write_text("API_KEY=sk-secret", encoding="utf-8")
    (path / "part.j2").write_text('{% call message("user") %}{{ product.title }}{% endcall %}', encoding="utf-8")
    return path


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(statements(), min_size=1, max_size=4).map("".join))
def test_any_template_renders_or_is_one_template_error(shared: Taxonomy, folder: Path, body: str) -> None:
    size, version = len(shared), shared.version
    path = folder / "fuzz.j2"
    path.write_text(body, encoding="utf-8")
    product = Product(id="p", title="Red dress", attributes={"size": "M"})
    candidates = {"category": [Candidate(id="apparel-dresses", name="Dresses", score=0.9)]}
    examples = [(LabelledProduct(id="e", title="Pink dress", labels={"category": ["apparel-dresses"]}), 0.8)]
    try:
        messages = load_prompt(str(path), shared).render(product, candidates, examples)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(f"prompt {folder}") and "\n" not in message.split(": ", 1)[0], message
        assert "sk-secret" not in message
    else:
        assert messages and all(m["role"] in ("system", "user", "assistant") for m in messages)
        assert sum(len(m["content"]) for m in messages) <= 2_000_000
        assert all("sk-secret" not in m["content"] for m in messages)
    assert (len(shared), shared.version, "color-red" in shared.values) == (size, version, True)
    assert product.attributes == {"size": "M"}

"""A backend or an answer that fails in a way tagllm did not foresee fails the products it concerns, never the run:
the other products of the batch are tagged, and the failed ones are error records that --resume retries."""

from __future__ import annotations

import json
import re
import socket
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from output_rows import rows_by_id

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

TITLES = {"jeans": "Blue denim jeans", "ring": "Gold ring", "poison": "Steel cooking pot", "dress": "Red dress"}


class FaultyLLM(Backend):
    """Answers each facet with its first candidate; ``fault`` says how it misbehaves on a batch holding "poison"."""

    name = "faulty"
    needs_prompt = True
    supports_schema = True

    def __init__(self, fault: str) -> None:
        self.fault = fault
        self.calls: list[list[str]] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        ids = [r.product.id for r in requests]
        self.calls.append(ids)
        answers = [Generation(text=json.dumps({f: c[0].id for f, c in r.candidates.items() if c})) for r in requests]
        if "poison" in ids:
            if self.fault == "raises":
                raise RuntimeError("client bug: 'NoneType' object is not subscriptable")
            if self.fault == "short":
                return answers[:-1]
            if self.fault == "odd answer":
                answers[ids.index("poison")] = Generation(text='{"category": "POISON"}')
            if self.fault == "none":  # a backend of one's own that skips a product it cannot answer
                answers[ids.index("poison")] = None  # type: ignore[call-overload]
            if self.fault == "no text":
                answers[ids.index("poison")] = Generation(text=None)  # type: ignore[arg-type]
            if self.fault == "confidence per facet":  # one number per facet, not one per value
                answers[ids.index("poison")].confidences = {"category": 0.9}  # type: ignore[dict-item]
            if self.fault == "confidence in words":
                answers[ids.index("poison")].confidences = {"category": {"home-cookware": "high"}}  # type: ignore[dict-item]
            if self.fault == "half surrogate":  # a server's JSON escape "\ud83d", an emoji cut short
                answers[ids.index("poison")] = Generation(text='{"category": "Cookware \ud83d"} \ud83d')
        return answers


def _tagger(demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, backend: Backend, **config: Any) -> Tagger:
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    settings = TaggerConfig(**{"k": 5, "batch_size": 2, "facets": ["category"], **config})
    return Tagger(demo_taxonomy, index=index, embedder=embedder, backend=backend, config=settings)


def _products_file(tmp_path: Path) -> Path:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": pid, "title": title}) + "\n" for pid, title in TITLES.items()))
    return src


def _run(tagger: Tagger, tmp_path: Path, fmt: str = "jsonl") -> tuple[Any, dict[str, dict[str, Any]]]:
    src, out = _products_file(tmp_path), tmp_path / f"out.{fmt}"
    summary = tagger.tag_file(src, out)
    return summary, rows_by_id(out)


def _refused(backend: Any, demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path) -> str:
    """The setup error a run with ``backend`` stops with, before any product (the backend closed either way)."""
    try:
        with pytest.raises(ConfigError) as error:
            _run(_tagger(demo_taxonomy, demo_index_dir, embedder, backend), tmp_path)
    finally:
        backend.close()
    return str(error.value)


def test_a_file_run_says_the_llm_backend_is_starting_while_it_starts(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path
) -> None:
    """vLLM, or a 7B model under transformers, takes minutes to start: a terminal's progress line went on saying
    "loading the example index" the while."""
    reports: list[tuple[str, int, int | None]] = []

    class Starting(FaultyLLM):
        def load(self) -> None:
            self.seen = list(reports)

    backend = Starting("none")
    tagger = _tagger(demo_taxonomy, demo_index_dir, embedder, backend)
    tagger.tag_file(_products_file(tmp_path), tmp_path / "out.jsonl", progress=lambda *r: reports.append(r))
    assert backend.seen[-1] == ("backend", 0, None)
    from tagllm.cli.common import STAGES

    assert STAGES["backend"] == "starting the LLM backend"


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("raises", "backend faulty raised RuntimeError: client bug: 'NoneType' object is not subscriptable"),
        ("short", "backend faulty returned 0 answers for 1 request"),
        # these crashed the whole batch call (AttributeError, TypeError), every product's result lost with it
        ("none", "backend faulty returned NoneType None, not a Generation"),
        ("no text", "backend faulty returned a Generation whose text is NoneType None"),
        (
            "confidence per facet",
            "backend faulty returned a Generation whose confidences is dict {'category': 0.9}, not facet -> value id "
            "-> a number from 0 to 1",
        ),
        (
            "confidence in words",
            "backend faulty returned a Generation whose confidences is dict {'category': {'home-cookware': 'high'}}, "
            "not facet -> value id -> a number from 0 to 1",
        ),
    ],
)
def test_a_backend_failing_on_one_product_fails_that_product_only(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path, fault: str, message: str
) -> None:
    backend = FaultyLLM(fault)
    summary, rows = _run(_tagger(demo_taxonomy, demo_index_dir, embedder, backend), tmp_path)
    assert backend.calls == [["jeans", "ring"], ["poison", "dress"], ["poison"], ["dress"]]  # the batch, then each
    assert (summary.tagged, summary.failed, summary.exit_code) == (3, 1, 1)
    statuses = {pid: r["status"] for pid, r in rows.items()}
    assert statuses == {"jeans": "ok", "ring": "ok", "poison": "error", "dress": "ok"}
    assert rows["poison"]["error"]["message"] == message
    assert summary.errors == [f"poison: {message}"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_half_a_surrogate_pair_in_an_answer_is_written_as_a_replacement_character(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path, fmt: str
) -> None:
    """An answer holding half a surrogate pair (in its raw text, and in a string of it rejected) crashed the writer:
    UnicodeEncodeError, 'tagllm crashed', every later product untagged, in JSONL, CSV and Parquet alike."""
    summary, rows = _run(_tagger(demo_taxonomy, demo_index_dir, embedder, FaultyLLM("half surrogate")), tmp_path, fmt)
    assert (summary.tagged, summary.failed) == (4, 0)
    poison = rows["poison"]
    if fmt == "jsonl":
        assert poison["rejected"][0]["text"] == "Cookware \ufffd"
        assert poison["provenance"]["raw_output"] == '{"category": "Cookware \ufffd"} \ufffd'
    else:
        assert poison["rejected"] == ("Cookware \ufffd" if fmt == "csv" else ["Cookware \ufffd"])
    if fmt == "parquet":
        assert json.loads(poison["result_json"])["provenance"]["raw_output"].endswith("} \ufffd")


def test_a_distributed_result_row_holding_half_a_surrogate_pair_is_written() -> None:
    """tag_dataset's rows (result_json) crashed the same way, failing the Ray job."""
    from tagllm.models import Rejection, TagResult
    from tagllm.stages import result_row

    result = TagResult(product_id="p", rejected=[Rejection(facet="category", text="Jea\ud83d", reason="r")])
    assert json.loads(result_row(result)["result_json"])["rejected"][0]["text"] == "Jea\ufffd"


def test_in_routing_mode_the_product_keeps_the_default_tags(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path
) -> None:
    backend = FaultyLLM("raises")
    tagger = _tagger(demo_taxonomy, demo_index_dir, embedder, backend, route_threshold=1.0)
    summary, rows = _run(tagger, tmp_path)
    assert (summary.tagged, summary.fell_back, summary.still_fell_back, summary.exit_code) == (4, 1, 1, 0)
    poison = rows["poison"]
    assert (poison["status"], poison["source"]) == ("ok", "default")
    assert poison["routing"]["error"]["message"].startswith("backend faulty raised RuntimeError")
    assert {rows[pid]["source"] for pid in ("jeans", "ring", "dress")} == {"llm"}


def test_an_answer_the_mapper_cannot_take_fails_its_product_only(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tagger = _tagger(demo_taxonomy, demo_index_dir, embedder, FaultyLLM("odd answer"))
    original = tagger.mapper.map_answer

    def map_answer(text: str, *args: Any, **kwargs: Any) -> Any:
        if "POISON" in text:
            raise IndexError("list index out of range")
        return original(text, *args, **kwargs)

    monkeypatch.setattr(tagger.mapper, "map_answer", map_answer)
    summary, rows = _run(tagger, tmp_path)
    assert (summary.tagged, summary.failed) == (3, 1)
    assert rows["poison"]["error"]["message"] == (
        "the answer could not be mapped onto the taxonomy (IndexError: list index out of range)"
    )


class _BrokenVLLM(types.ModuleType):
    """vllm installed, but a package it imports on first use is not (as with vllm 0.33 without fastapi)."""

    def __getattr__(self, name: str) -> Any:
        raise ModuleNotFoundError("No module named 'fastapi'")


def test_an_engine_that_cannot_start_stops_the_run_before_the_first_product(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagllm.backends.vllm import VLLMBackend

    monkeypatch.setitem(sys.modules, "vllm", _BrokenVLLM("vllm"))
    backend = VLLMBackend(model=str(tmp_path))
    with pytest.raises(ConfigError) as error:
        _run(_tagger(demo_taxonomy, demo_index_dir, embedder, backend), tmp_path)
    assert str(error.value) == (
        f"the vllm backend could not start {tmp_path}: ModuleNotFoundError: No module named 'fastapi'; "
        "reinstall what it needs: pip install 'tagllm[vllm]'"
    )
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_a_run_that_stops_at_setup_leaves_the_earlier_output_as_it_was(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    suffix: str,
) -> None:  # fmt: skip
    from tagllm.backends.vllm import VLLMBackend

    src, out = tmp_path / "in.jsonl", tmp_path / f"out.{suffix}"
    src.write_text("".join(json.dumps({"id": pid, "title": title}) + "\n" for pid, title in TITLES.items()))
    _tagger(demo_taxonomy, demo_index_dir, embedder, FaultyLLM("none")).tag_file(src, out)
    earlier = out.read_bytes()
    monkeypatch.setitem(sys.modules, "vllm", _BrokenVLLM("vllm"))
    broken = _tagger(demo_taxonomy, demo_index_dir, embedder, VLLMBackend(model=str(tmp_path)))
    with pytest.raises(ConfigError):
        broken.tag_file(src, out)  # a fresh run, not --resume: it would replace the output, had it started
    assert out.read_bytes() == earlier
    assert len(earlier) > 100


def test_a_setup_mistake_the_backend_finds_while_tagging_stops_the_batch_call(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any
) -> None:
    class Unnamed(FaultyLLM):
        def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
            raise ConfigError("openai backend: name the model")

    tagger = _tagger(demo_taxonomy, demo_index_dir, embedder, Unnamed("none"))
    with pytest.raises(ConfigError, match="^openai backend: name the model$"):
        tagger.tag([{"id": "a", "title": "Blue jeans"}])


def test_an_openai_server_that_is_not_there_stops_the_run_before_the_first_product(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path
) -> None:
    pytest.importorskip("httpx", reason="needs the openai extra: pip install 'tagllm[openai]'")
    from tagllm.backends.openai import OpenAIBackend

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    message = _refused(OpenAIBackend(model="m", base_url=url), demo_taxonomy, demo_index_dir, embedder, tmp_path)
    assert message.startswith(f"openai backend: nothing answers at {url} (ConnectError: ")
    assert message.endswith("); start the server, or pass its address with --base-url")


def _listener(answer: bytes | None) -> tuple[socket.socket, str]:
    """A 127.0.0.1 port that takes connections: one that never answers (``None``: they wait in the backlog, as at
    a server still loading its model), or each answered with ``answer`` and closed (another protocol's service)."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the test closed the listener
                return
            with client:
                client.recv(1024)
                client.sendall(answer or b"")

    if answer is not None:
        threading.Thread(target=serve, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}/v1"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            None,
            r"openai backend: {url} took the connection but sent no answer within 0\.5s; start the server, or pass "
            r"its address with --base-url \(a server still loading its model: wait until it answers /models; a slow "
            r"one: raise backend_options\.timeout\)",
        ),
        (
            b"SSH-2.0-OpenSSH_9.6\r\n",
            # what httpx says depends on whether it read the banner before the close: either is fine
            r"openai backend: {url} did not answer as an HTTP server \((RemoteProtocolError|ReadError): .+\); start "
            r"the server, or pass its address with --base-url",
        ),
    ],
    ids=["never-answers", "not-http"],
)
def test_a_listener_that_gives_no_http_answer_stops_the_run_before_the_first_product(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path, answer: bytes | None, message: str
) -> None:
    """Both escaped from the backend's load as a TimeoutError or an httpx error: "tagllm crashed", exit 3."""
    pytest.importorskip("httpx", reason="needs the openai extra: pip install 'tagllm[openai]'")
    from tagllm.backends.openai import OpenAIBackend

    listener, url = _listener(answer)
    try:
        said = _refused(
            OpenAIBackend(model="m", base_url=url, timeout=0.5), demo_taxonomy, demo_index_dir, embedder, tmp_path
        )
    finally:
        listener.close()
    assert re.fullmatch(message.format(url=re.escape(url)), said), said
    assert not (tmp_path / "out.jsonl").exists()


def _http_server(post_status: int) -> tuple[Any, str]:
    """A 127.0.0.1 HTTP server with no /models (404) that answers a POST with ``post_status``: 501 to every one, as
    Python's own file server does, or 400 to an empty body, as a chat-completions route does (which answers a
    request with messages)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_error(404)

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if post_status != 400 or not body.get("messages"):
                self.send_error(post_status)
                return
            answer = json.dumps({"choices": [{"message": {"content": '{"answer": "yes"}'}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_an_http_server_that_serves_no_chat_completions_stops_the_run_before_the_first_product(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path
) -> None:
    """Another HTTP service, or a vLLM server addressed without /v1: every product failed after its retries (HTTP
    501 or 404 each), exit 1, and nothing named the address."""
    pytest.importorskip("httpx", reason="needs the openai extra: pip install 'tagllm[openai]'")
    from tagllm.backends.openai import OpenAIBackend

    server, url = _http_server(501)
    try:
        message = _refused(OpenAIBackend(model="m", base_url=url), demo_taxonomy, demo_index_dir, embedder, tmp_path)
    finally:
        server.shutdown()
    assert message.startswith(f"openai backend: {url} serves no chat completions (HTTP 501 at ")
    assert f"ends in /v1: {url}/v1?" in message
    assert not (tmp_path / "out.jsonl").exists()


def test_a_server_without_models_that_has_the_chat_route_is_used() -> None:
    pytest.importorskip("httpx", reason="needs the openai extra: pip install 'tagllm[openai]'")
    from tagllm.backends.openai import OpenAIBackend

    server, url = _http_server(400)  # an empty body is a bad request to a real route: the run goes on
    backend = OpenAIBackend(model="m", base_url=url + "/v1")
    try:
        backend.load()
    finally:
        backend.close()
        server.shutdown()


def _refusing_server(refused: str) -> tuple[Any, str]:
    """A 127.0.0.1 server whose /models lists 'qwen' (not vLLM) and that answers HTTP 400 to any chat request holding
    the field ``refused``, as a server without JSON-schema outputs answers ``response_format``."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self._send(200, {"object": "list", "data": [{"id": "qwen", "owned_by": "llamacpp"}]})

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            if refused in body:
                self._send(400, {"error": {"message": f"'{refused}' is not supported", "code": 400}})
            else:
                self._send(200, {"choices": [{"message": {"content": '{"answer": "yes"}'}}]})

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_a_server_that_refuses_the_request_format_stops_the_run_before_the_first_product(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path
) -> None:
    """A server without JSON-schema outputs answers HTTP 400 to every product's request: each product became an error
    record saying so (exit 1), after the output was opened, and nothing said what to change."""
    pytest.importorskip("httpx", reason="needs the openai extra: pip install 'tagllm[openai]'")
    from tagllm.backends.openai import OpenAIBackend

    server, url = _refusing_server("response_format")
    try:
        backend = OpenAIBackend(model="qwen", base_url=url)
        message = _refused(backend, demo_taxonomy, demo_index_dir, embedder, tmp_path)
    finally:
        server.shutdown()
    assert message == (
        f"openai backend: {url} refuses the request sent for each product (HTTP 400 at /chat/completions: "
        "'response_format' is not supported), so every product would fail; change what it refuses: the model "
        "(--model qwen), the JSON schema, sent as response_format (backend_options.server: vllm sends vLLM's "
        "structured_outputs), or backend_options.extra_body"
    )
    assert not (tmp_path / "out.jsonl").exists()


def test_a_server_that_takes_the_request_format_is_used() -> None:
    pytest.importorskip("httpx", reason="needs the openai extra: pip install 'tagllm[openai]'")
    from tagllm.backends.openai import OpenAIBackend

    server, url = _refusing_server("guided_json")  # refuses what tagllm does not send
    backend = OpenAIBackend(model="qwen", base_url=url)
    try:
        backend.load()
        refused = OpenAIBackend(model="qwen", base_url=url, extra_body={"guided_json": {"type": "object"}})
        with pytest.raises(ConfigError, match=r"HTTP 400 at /chat/completions: 'guided_json' is not supported"):
            refused.load()
    finally:
        backend.close()
        refused.close()
        server.shutdown()


def test_a_server_without_models_and_no_model_named_stops_the_run_before_the_first_product(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path
) -> None:
    """The model to ask is looked up at /models when --model is not given: looked up at the first batch, every
    product failed with "pass --model" (exit 1, each an error record) instead of the run stopping at setup."""
    pytest.importorskip("httpx", reason="needs the openai extra: pip install 'tagllm[openai]'")
    from tagllm.backends.openai import OpenAIBackend

    server, url = _http_server(400)  # a chat route, but no /models
    try:
        message = _refused(OpenAIBackend(base_url=url + "/v1"), demo_taxonomy, demo_index_dir, embedder, tmp_path)
    finally:
        server.shutdown()
    assert message == (
        f"openai backend: {url}/v1/models is not answering (HTTPStatusError); pass --model with the served model name"
    )
    assert not (tmp_path / "out.jsonl").exists()


def test_a_template_that_fails_on_one_product_names_that_product(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path
) -> None:
    # a template reading a key that some products' attributes lack rendered for the first products and stopped the run
    # at the first without it with 'prompt size.j2:2: 'dict object' has no attribute 'size'': no product named, and
    # every --resume stopped at the same product, still unnamed
    template = tmp_path / "size.j2"
    template.write_text('{% call message("user") %}\nSize: {{ product.attributes.size }}\n{% endcall %}\n', "utf-8")
    src = tmp_path / "in.jsonl"
    rows = [{"id": "a", "title": "Red dress", "attributes": {"size": "M"}}, {"id": "b", "title": "Blue shirt"}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tagger = _tagger(demo_taxonomy, demo_index_dir, embedder, FaultyLLM("none"), prompt=str(template))
    with pytest.raises(ConfigError) as info:
        tagger.tag_file(src, tmp_path / "out.jsonl")
    assert str(info.value) == f"prompt {template}:2: 'dict object' has no attribute 'size' (rendering product 'b')"


def test_an_attribute_template_that_cannot_render_stops_a_two_step_run_before_any_answer(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path
) -> None:
    # the attribute step's template was first rendered once the whole first batch had its categories: a misspelt
    # variable stopped the run only after the engine answered step 1 for every product of that batch (40 requests
    # to the server for examples/products.jsonl), and again on every rerun
    template = tmp_path / "attributes-typo.j2"
    template.write_text(
        '{% call message("user") %}\n{{ category.lable }}: {{ product.json }}\n{% endcall %}\n', "utf-8"
    )
    backend = FaultyLLM("none")
    tagger = _tagger(
        demo_taxonomy, demo_index_dir, embedder, backend,
        facets=["category", "color"], attribute_mode="two_step", attribute_prompt=str(template),
    )  # fmt: skip
    with pytest.raises(ConfigError) as info:
        _run(tagger, tmp_path)
    assert str(info.value) == f"prompt {template}:2: 'dict object' has no attribute 'lable' (rendering product 'jeans')"
    assert backend.calls == []
    assert (tmp_path / "out.jsonl").read_text() == ""


def test_an_attribute_template_is_rehearsed_when_the_first_product_has_no_attribute_to_ask(
    demo_taxonomy: Any, tmp_path: Path
) -> None:
    # the first product's top category had no attribute with candidates, so step 2 was not rendered for it: the
    # misspelt variable stopped the run at the first product that had one, its batch's categories generated
    from tagllm.llm_steps import LLMSteps, ScoredProduct
    from tagllm.models import Candidate, Product
    from tagllm.prompts import load_prompt

    template = tmp_path / "attributes-typo.j2"
    template.write_text('{% call message("user") %}\n{% for f in facets %}{{ f.titel }}{% endfor %}\n{% endcall %}\n')
    steps = LLMSteps(
        demo_taxonomy, ["category", "color"], load_prompt("zeroshot", demo_taxonomy),
        load_prompt(str(template), demo_taxonomy), mode="two_step",
    )  # fmt: skip
    dresses = [Candidate(id="apparel-dresses", name="Dresses", score=0.9)]
    with pytest.raises(ConfigError) as info:
        steps.rehearse([ScoredProduct(Product(id="gift", title="Gift card"), {"category": dresses, "color": []})])
    assert str(info.value) == f"prompt {template}:2: 'dict object' has no attribute 'titel' (rendering product 'gift')"


def test_a_template_that_cannot_render_stops_a_routing_run_before_the_first_row(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, tmp_path: Path
) -> None:
    # in routing mode the template was first rendered for the first product under the threshold: the batches before
    # it were tagged by the default and written, then the run stopped (exit 2), and every --resume stopped there again
    from tagllm.backends.retrieval import RetrievalBackend
    from tagllm.models import Product
    from tagllm.routing import facet_confidence

    default = _tagger(demo_taxonomy, demo_index_dir, embedder, RetrievalBackend(demo_taxonomy))
    results = default.tag([Product(id=pid, title=title) for pid, title in TITLES.items()])
    ranked = sorted(results, key=lambda r: facet_confidence(r, "category"))
    unsure, surer = (facet_confidence(r, "category") for r in ranked[:2])
    assert unsure < surer
    template = tmp_path / "typo.j2"
    template.write_text('{% call message("user") %}\n{{ product.titel | json }}\n{% endcall %}\n', "utf-8")
    backend = FaultyLLM("none")
    tagger = _tagger(
        demo_taxonomy, demo_index_dir, embedder, backend,
        batch_size=1, route_threshold=(unsure + surer) / 2, prompt=str(template),
    )  # fmt: skip
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    last = ranked[0].product_id  # the only product routed, read last
    order = [pid for pid in TITLES if pid != last] + [last]
    src.write_text("".join(json.dumps({"id": pid, "title": TITLES[pid]}) + "\n" for pid in order), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        tagger.tag_file(src, out)
    assert (
        str(info.value)
        == f"prompt {template}:2: 'dict object' has no attribute 'titel' (rendering product '{order[0]}')"
    )
    assert backend.calls == []
    assert out.read_text() == ""

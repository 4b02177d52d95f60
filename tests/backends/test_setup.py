"""Setup mistakes stop a run when the backend is built: one message, exit 2, before the first product."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tagllm.backends import get_backend
from tagllm.config import load_config
from tagllm.errors import ConfigError
from tagllm.tagger import Tagger

DATA = Path(__file__).resolve().parents[1] / "data"
NOT_ON_DISK = (
    "the transformers backend: model '{model}' is not a directory; download it first "
    "(e.g. `huggingface-cli download ORG/NAME --local-dir DIR`) and pass the directory with --model"
)


def _tagllm(tmp_path: Path, *args: str, missing: str | None = None) -> subprocess.CompletedProcess[str]:
    """`tagllm ARGS` as a user runs it; ``missing`` names a package to make uninstalled for the run."""
    hide = f"sys.modules[{missing!r}] = None; " if missing else ""
    code = f"import sys; {hide}sys.argv = ['tagllm', *sys.argv[1:]]; from tagllm.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )


@pytest.mark.parametrize(
    ("args", "missing", "message"),
    [
        (["--backend", "transformers", "--model", "/nonexistent"], None, NOT_ON_DISK.format(model="/nonexistent")),
        (
            ["--backend", "transformers", "--model", "Qwen/Qwen2.5-0.5B-Instruct"],
            None,
            NOT_ON_DISK.format(model="Qwen/Qwen2.5-0.5B-Instruct"),
        ),
        (
            ["--backend", "vllm", "--model", "MODEL_DIR"],
            "vllm",
            "the vllm backend needs the 'vllm' package: pip install 'tagllm[vllm]'",
        ),
        (
            ["--backend", "transformers", "--model", "MODEL_DIR"],
            "xgrammar",
            "the transformers backend needs the 'xgrammar' package: pip install 'tagllm[transformers]'",
        ),
        (
            ["--backend", "openai", "--base-url", "localhost:8000/v1"],
            None,
            "openai backend: base URL 'localhost:8000/v1' is not an http(s) URL; "
            "give the server's /v1 address, e.g. --base-url http://127.0.0.1:8000/v1",
        ),
        (
            # pasted from the server's docs: its 404 then said to add /v1 (".../v1/chat/completions/v1?")
            ["--backend", "openai", "--base-url", "http://127.0.0.1:8000/v1/chat/completions"],
            None,
            "openai backend: base URL 'http://127.0.0.1:8000/v1/chat/completions' is the address of the server's "
            "/chat/completions endpoint; give the server's own, without /chat/completions: "
            "--base-url http://127.0.0.1:8000/v1",
        ),
        (
            # httpx's InvalidURL ("non-printable ASCII character") escaped as a traceback, exit 3
            ["--backend", "openai", "--base-url", "http://127.0.0.1:8000/v1\tqwen"],
            None,
            "openai backend: base URL 'http://127.0.0.1:8000/v1\\tqwen' holds a character a URL cannot carry "
            "(character 25, a control character); give the server's address alone",
        ),
    ],
    ids=[
        "no-such-directory",
        "hub-id",
        "vllm-not-installed",
        "xgrammar-not-installed",
        "base-url-without-scheme",
        "base-url-of-the-endpoint",
        "base-url-with-a-tab",
    ],
)
def test_generate_stops_before_the_first_product(
    tmp_path: Path, args: list[str], missing: str | None, message: str
) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    args = [str(model_dir) if a == "MODEL_DIR" else a for a in args]
    out = tmp_path / "tags.jsonl"
    proc = _tagllm(tmp_path, "generate", str(DATA / "products.jsonl"), "-o", str(out), "-t", "demo", *args,
                   missing=missing)  # fmt: skip
    assert (proc.returncode, proc.stderr) == (2, f"error: {message}\n")
    assert not out.exists()  # not one product was tagged, not one error record written


def test_a_directory_that_is_not_a_model_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        get_backend("transformers", model=str(tmp_path))
    assert str(info.value) == (
        f"the transformers backend: {tmp_path} has no config.json, so it is not a Hugging Face model directory; "
        "pass the directory that holds the model's config.json and weights"
    )


def test_a_directory_with_another_tools_config_is_named(tmp_path: Path) -> None:
    """transformers spoke of the tokenizer instead ("install sentencepiece or tiktoken"), though no model was there."""
    (tmp_path / "config.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(ConfigError) as info:
        get_backend("transformers", model=str(tmp_path))
    assert str(info.value) == (
        f"the transformers backend: {tmp_path / 'config.json'} names no model_type, so it is not a Hugging Face "
        "model's config; pass the directory that holds the model's own config.json and weights"
    )


def test_a_misspelt_backend_option_is_named() -> None:
    with pytest.raises(ConfigError, match=r"^the openai backend has no option 'concurency'; its options: model, "):
        get_backend("openai", concurency=4)


def test_a_backend_option_of_the_wrong_type_stops_generate_with_what_it_takes(tmp_path: Path) -> None:
    """`timeout: 60s` in tagllm.yaml crashed the run with a TypeError traceback ("tagllm crashed (a bug…)", exit 3)."""
    (tmp_path / "tagllm.yaml").write_text("backend_options: {timeout: 60s}\n")
    out = tmp_path / "tags.jsonl"
    proc = _tagllm(tmp_path, "generate", str(DATA / "products.jsonl"), "-o", str(out), "-t", "demo",
                   "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "qwen")  # fmt: skip
    assert (proc.returncode, proc.stderr) == (
        2,
        "error: the openai backend's option 'timeout' is '60s': Input should be a valid number, unable to parse "
        "string as a number; backend_options.timeout takes float\n",
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"extra_body": "top_k=20"},
            "the openai backend's option 'extra_body' is 'top_k=20': Input should be a valid dictionary; "
            "backend_options.extra_body takes dict[str, Any] | None",
        ),
        (
            {"max_retries": None},
            "the openai backend's option 'max_retries' is None: Input should be a valid integer; "
            "backend_options.max_retries takes int",
        ),
    ],
)
def test_a_backend_option_of_the_wrong_type_is_named(options: dict[str, Any], message: str) -> None:
    # extra_body as text failed every product alike ("dictionary update sequence element…"); None, a TypeError
    with pytest.raises(ConfigError) as info:
        get_backend("openai", base_url="http://127.0.0.1:9/v1", model="qwen", **options)
    assert str(info.value) == message


def test_a_backend_option_written_as_text_is_read_as_its_type() -> None:
    # TAGLLM_BACKEND_OPTIONS='{"concurrency": "4"}' and `timeout: "30"` are what the user meant
    backend = get_backend("openai", base_url="http://127.0.0.1:9/v1", model="qwen", concurrency="4", timeout="30")
    assert (backend.concurrency, backend.timeout) == (4, 30.0)


@pytest.mark.parametrize(
    ("backend", "options", "message"),
    [
        (
            "openai",
            {"max_new_tokens": 0, "base_url": "http://127.0.0.1:9/v1"},
            "max_new_tokens must be 1 or more, not 0",
        ),
        ("vllm", {"max_new_tokens": -1}, "max_new_tokens must be 1 or more, not -1"),
        ("transformers", {"batch_size": 0}, "batch_size must be 1 or more, not 0"),
    ],
)
def test_a_count_of_zero_is_a_setup_mistake(backend: str, options: dict[str, Any], message: str) -> None:
    # every product failed alike: the server's HTTP 400 for max_tokens 0, range()'s ValueError for batch_size 0
    name = next(iter(options))
    with pytest.raises(ConfigError) as info:
        get_backend(backend, model="/models/qwen", **options)
    assert str(info.value) == f"the {backend} backend: {message}; set backend_options.{name}"


def test_the_python_api_checks_the_backend_before_building_the_index() -> None:
    # The examples do not exist either: the backend's message comes first, so nothing was read or embedded.
    config = load_config(backend="transformers", model="/nonexistent", examples="/no/such/examples.jsonl")
    with pytest.raises(ConfigError) as info:
        Tagger.from_config(config)
    assert str(info.value) == NOT_ON_DISK.format(model="/nonexistent")


def _tokenizer_of_another_model(model_dir: Path) -> None:
    from transformers import AutoTokenizer

    from tagllm.testing import build_tokenizer

    corpus = [str(AutoTokenizer.from_pretrained(model_dir).decode(list(range(7, 512))))] * 4
    build_tokenizer(corpus, "qwen", vocab_size=2000).save_pretrained(model_dir)


def _without_chat_template(model_dir: Path) -> None:
    """A base model's tokenizer: the chat template removed wherever transformers keeps it. Its first batch failed,
    after the output file was opened (left empty)."""
    (model_dir / "chat_template.jinja").unlink(missing_ok=True)
    config = model_dir / "tokenizer_config.json"
    settings = json.loads(config.read_text())
    settings.pop("chat_template", None)
    config.write_text(json.dumps(settings))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda model_dir: (model_dir / "tokenizer.json").unlink(),
            "the transformers backend: the tokenizer of {model} turns text into no tokens (it has 2): its files "
            "(tokenizer.json, or vocab.json and merges.txt) are missing; copy the tokenizer files from the model's "
            "own download into the model directory",
        ),
        (
            _tokenizer_of_another_model,
            "the transformers backend: the tokenizer of {model} spells text with token ids up to {top}, but the model "
            "has 512 tokens: it is another model's tokenizer; copy the tokenizer files from the model's own download "
            "into the model directory",
        ),
        (
            _without_chat_template,
            "the tokenizer of '{model}' has no chat template; tagllm needs an instruction-tuned (chat) model",
        ),
    ],
    ids=["tokenizer-json-missing", "another-models-tokenizer", "no-chat-template"],
)
def test_a_tokenizer_that_is_not_the_models_stops_before_the_first_product(
    tmp_path: Path, tiny_qwen_dir: Path, demo_index_dir: Path, damage: Any, message: str
) -> None:
    """Every product failed one by one instead ("the grammar rejected a sampled token", "IndexError: index out of
    range in self"), exit 1."""
    import re
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_qwen_dir, model)
    damage(model)
    out = tmp_path / "tags.jsonl"
    proc = _tagllm(tmp_path, "generate", str(DATA / "products.jsonl"), "-o", str(out), "--index", str(demo_index_dir),
                   "-t", "demo", "--k", "5", "--backend", "transformers", "--model", str(model))  # fmt: skip
    top = re.search(r"up to (\d+),", proc.stderr)
    assert (proc.returncode, proc.stderr.splitlines()[-1:]) == (
        2,
        ["error: " + message.format(model=model, top=top and top[1])],
    ), proc.stderr
    assert top is None or int(top[1]) >= 512
    assert not out.exists()  # not one product was tagged, not one error record written


def test_a_web_page_at_the_base_url_stops_the_run_before_the_first_product(tmp_path: Path) -> None:
    """A web app at the address answers /models with 200 and an HTML page: with --model named the run went on, and
    every product failed after its retries ("the response is not JSON")."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class WebApp(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = b"<!doctype html><html><body>Sign in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), WebApp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        backend = get_backend("openai", base_url=base, model="qwen", max_retries=0)
        with pytest.raises(ConfigError) as info:
            backend.load()
    finally:
        server.shutdown()
    assert str(info.value) == (
        f"openai backend: {base}/models answered with a web page, not the JSON of an OpenAI-compatible API; give "
        "the API's address (a vLLM or OpenAI server's ends in /v1) with --base-url"
    )


def test_a_base_url_read_with_a_windows_line_end_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """OPENAI_BASE_URL set from a Windows .env ends in "\\r": the run crashed with httpx's InvalidURL traceback."""
    pytest.importorskip("httpx", reason="needs the openai extra: pip install 'tagllm[openai]'")
    from tagllm.testing import FaultyChatServer

    with FaultyChatServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f" {server.url}/\r\n")
        backend = get_backend("openai", model="faulty")
        try:
            backend.load()
        finally:
            backend.close()
    assert backend.base_url == server.url

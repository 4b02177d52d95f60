"""The engine stage of ``tag_dataset`` (tagllm's own backend in Ray actors) starts its engine when the actor starts:
a server that is not there stops the job with the backend's message instead of failing every row after its retries.
Run on the actor class itself, without Ray: Ray calls the constructor and its error fails the stage."""

from __future__ import annotations

import json
import socket

import pytest

from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError


def test_an_openai_server_that_is_not_there_stops_the_engine_stage_as_it_starts() -> None:
    """Each batch's rows became error rows after 5 attempts ("ConnectError: All connection attempts failed", no
    address named), the whole dataset so, and the job ended as if it had run."""
    pytest.importorskip("httpx", reason="needs the openai extra: pip install 'tagllm[openai]'")
    from tagllm.engine_stage import _BackendWorker

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    config = TaggerConfig(taxonomy="demo", backend="openai", model="m", backend_options={"base_url": url})
    with pytest.raises(ConfigError) as error:
        _BackendWorker(json.loads(config.model_dump_json()))
    assert str(error.value).startswith(f"openai backend: nothing answers at {url} (ConnectError: ")


def test_an_engine_that_fails_to_load_and_then_to_close_raises_the_load_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The actor closed the half-started engine in its ``except`` block: a close that failed too (its engine never
    made) was the error Ray reported, the load's ("model not found") only its context."""
    import tagllm.backends
    from tagllm.backends.base import Backend
    from tagllm.engine_stage import _BackendWorker

    class Broken(Backend):
        name = "broken"

        def generate(self, requests):  # type: ignore[no-untyped-def]
            raise AssertionError("never asked")

        def load(self) -> None:
            raise ConfigError("broken backend: the model 'm' cannot be loaded")

        def close(self) -> None:
            raise RuntimeError("no engine to shut down")

    monkeypatch.setattr(tagllm.backends, "get_backend", lambda name, **options: Broken())
    config = TaggerConfig(taxonomy="demo", backend="openai", model="m")
    with pytest.raises(ConfigError) as error:
        _BackendWorker(json.loads(config.model_dump_json()))
    assert str(error.value) == "broken backend: the model 'm' cannot be loaded"
    assert error.value.__notes__ == ["closing the backend after this failed too: RuntimeError: no engine to shut down"]

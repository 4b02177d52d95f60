"""Where the openai backend sends its requests and the key it sends with them: the base URL (an http(s) server
address, not one of its endpoints' addresses) and the API key (read from the environment, never shown). Apart from
the backend because both are checked before anything is sent (``OpenAIBackend.check``), each mistake said in words
that name the setting, where httpx's own errors escaped as tracebacks or printed the key."""

from __future__ import annotations

import os
import unicodedata
import urllib.parse

from tagllm.errors import ConfigError

ENDPOINTS = ("/chat/completions", "/completions", "/models")
"""Routes under a server's /v1: a base URL that ends in one is an endpoint's address, not the server's."""


def check_base_url(base_url: str) -> None:
    """Refuse a base URL no request can go to: a character a URL cannot carry, another scheme than http(s), no host,
    or an endpoint's address (every request went to …/chat/completions/chat/completions, and the 404 said to add
    /v1)."""
    bad = next((i for i, char in enumerate(base_url) if char <= " " or char == "\x7f"), None)
    if bad is not None:  # httpx's InvalidURL escaped as a traceback
        char = base_url[bad]
        raise ConfigError(
            f"openai backend: base URL {base_url!r} holds a character a URL cannot carry (character "
            f"{bad + 1}, {unicodedata.name(char, 'a control character')}); give the server's address alone"
        )
    url = urllib.parse.urlsplit(base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConfigError(
            f"openai backend: base URL {base_url!r} is not an http(s) URL; "
            "give the server's /v1 address, e.g. --base-url http://127.0.0.1:8000/v1"
        )
    endpoint = next((e for e in ENDPOINTS if url.path.rstrip("/").endswith(e)), None)
    if endpoint is not None:
        server = base_url.rstrip("/").removesuffix(endpoint)
        raise ConfigError(
            f"openai backend: base URL {base_url!r} is the address of the server's {endpoint} "
            f"endpoint; give the server's own, without {endpoint}: --base-url {server}"
        )


def read_api_key(env: str) -> str | None:
    """The key in the environment variable ``env``, without the spaces or line end a file it was read from left
    around it (a Windows .env's "\\r" was sent, and httpx's refusal printed the key); None when it is not set. One
    holding a character no HTTP header carries is refused without showing it: it crashed the run with a
    UnicodeEncodeError."""
    key = (os.environ.get(env) or "").strip()
    bad = next((i for i, char in enumerate(key) if not " " <= char < "\x7f"), None)
    if bad is not None:
        raise ConfigError(
            f"openai backend: the API key in ${env} holds a character an HTTP header cannot carry "
            f"(character {bad + 1} of {len(key)}, {unicodedata.name(key[bad], 'a control character')}); "
            "set it to the key alone"
        )
    return key or None

"""The attribute benchmark's data: the datasets' keys, reading products, the held-out splits and folds (by a hash of
the normalised title), and each product's gold values as comparison keys."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tagllm.attributes import is_placeholder, value_key  # noqa: E402
from tagllm.text import normalize  # noqa: E402

FASHION_KEYS = ("Gender", "Colour", "Season", "Usage")
FLIPKART_KEYS = ("Ideal For", "Color", "Type", "Occasion", "Material", "Pattern", "Fabric", "Sleeve", "Neck")
# OpenBG's most frequent keys that describe the product itself (not where it ships from or how it is sold:
# 配送安装地区 delivery area, 产地 origin, 省份 province are left out), and are not numbers or dates.
OPENBG_KEYS = ("风格", "适用对象", "功效", "材质", "功能", "图案", "款式", "适用场景", "流行元素", "适用季节")
_COMMA = re.compile(r"\s*[,，、;；]\s*")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def is_test(row: dict[str, Any], share: float, seed: int) -> bool:
    """Held out by a hash of the normalised title: variants sharing a title fall on the same side."""
    digest = hashlib.sha256(f"{seed}\0{normalize(row['title'])}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def split(rows: list[dict[str, Any]], share: float, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    train, test = [], []
    for row in rows:
        (test if is_test(row, share, seed) else train).append(row)
    return train, test


def sample(rows: list[dict[str, Any]], n: int | None, seed: int) -> list[dict[str, Any]]:
    if n is None or n >= len(rows):
        return rows
    chosen = sorted(np.random.default_rng(seed).choice(len(rows), n, replace=False).tolist())
    return [rows[i] for i in chosen]


def gold_values(row: dict[str, Any], keys: Sequence[str]) -> dict[str, set[str]]:
    """Per benchmark key, the product's gold values as comparison keys (commas separate several values)."""
    wanted = {normalize(k): k for k in keys}
    out: dict[str, set[str]] = {}
    for tag in row.get("gold_attribute_tags") or []:
        key, _, value = str(tag).partition(":")
        name = wanted.get(normalize(key))
        if name is None:
            continue
        for part in _COMMA.split(value.strip()):
            if part and not is_placeholder(part):
                out.setdefault(name, set()).add(value_key(part, name))
    return out


def title_only(row: dict[str, Any], keys: Sequence[str], with_gold: bool) -> dict[str, Any]:
    """What a method may read (id and title); training rows keep their category and the benchmark's keys."""
    out: dict[str, Any] = {"id": str(row["id"]), "title": row["title"]}
    if with_gold:
        out["gold_category"] = row.get("gold_category")
        wanted = {normalize(k) for k in keys}
        out["gold_attribute_tags"] = [
            t for t in row.get("gold_attribute_tags") or [] if normalize(str(t).partition(":")[0]) in wanted
        ]
    return out


@dataclass
class Dataset:
    name: str
    directory: str
    keys: Sequence[str]
    test_share: float
    train_n: int | None
    test_n: int | None
    folds: int = 1  # above 1: cross-validation, for data too small to hold a fifth out once


def _fold(row: dict[str, Any], k: int, seed: int) -> int:
    digest = hashlib.sha256(f"{seed}\0{normalize(row['title'])}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % k


def folds(rows: list[dict[str, Any]], ds: Dataset, seed: int) -> list[tuple[list[dict], list[dict]]]:
    """One held-out split, or ``ds.folds`` folds (every product held out once) for a small dataset."""
    if ds.folds <= 1:
        train, test = split(rows, ds.test_share, seed)
        return [(sample(train, ds.train_n, seed), sample(test, ds.test_n, seed))]
    which = [_fold(r, ds.folds, seed) for r in rows]
    return [
        (
            [r for r, w in zip(rows, which, strict=True) if w != k],
            [r for r, w in zip(rows, which, strict=True) if w == k],
        )
        for k in range(ds.folds)
    ]

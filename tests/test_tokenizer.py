"""The exported encoders' tokenizer gives sentence-transformers' token arrays and vectors, and encoding from a cached
export imports neither sentence-transformers nor torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tagllm.errors import ConfigError
from tagllm.retrieval import onnx
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.runtimes import is_gpu_build
from tagllm.retrieval.tokenizer import SentenceTokenizer, check, native_max_length

pytestmark = pytest.mark.skipif(not onnx.is_available(), reason="needs onnxruntime and onnx")

REPO = Path(__file__).resolve().parents[1]
TEXTS = [
    "Stainless Steel Water Bottle 750 ml, BPA free",
    "儿童 保温杯 不锈钢 500毫升 卡通",
    "Résumé café NAÏVE Øresund façade über-cool",
    "",
    "   ",
    "\tTabbed\nand\r\nnew lines  ",
    "emoji 👗✨ and symbols ™ © ½ ≥ 3",
    "mixed 中文 and English, 日本語 カタカナ, 한국어",
    "a very long product description about hiking boots and waterproof leather uppers " * 30,
    "x",
    "a literal [SEP] and [MASK] typed in a title, <b>html</b> &amp; entities",
]


@pytest.fixture(scope="module")
def torch_model():  # type: ignore[no-untyped-def]
    return Embedder(backend="torch").model


@pytest.fixture(scope="module")
def export(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("TAGLLM_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))  # as tests see it
    embedder.encode(["warm"])  # exports on the first use in this session
    return onnx.export_dir(embedder.model_path)


def test_token_arrays_are_sentence_transformers_own(torch_model, export: Path) -> None:  # type: ignore[no-untyped-def]
    expected = torch_model.preprocess(TEXTS)
    got = SentenceTokenizer(export, torch_model.max_seq_length)(TEXTS)
    assert sorted(got) == ["attention_mask", "input_ids", "token_type_ids"]
    for name, array in got.items():
        assert array.dtype == np.int64
        assert np.array_equal(array, expected[name].numpy()), name
    assert got["input_ids"].shape == (len(TEXTS), 128)  # the long text truncated at max_seq_length, the rest padded
    assert got["attention_mask"][TEXTS.index("")].sum() == 2  # [CLS] [SEP] only


def test_without_a_max_seq_length_texts_are_cut_where_sentence_transformers_cuts_them(
    torch_model,  # type: ignore[no-untyped-def]
    export: Path,
) -> None:
    from sentence_transformers import SentenceTransformer

    native = SentenceTransformer(Embedder().model_path, device="cpu")
    assert native_max_length(Embedder().model_path) == native.max_seq_length == 256
    got = SentenceTokenizer(export, native_max_length(Embedder().model_path))(TEXTS)
    assert np.array_equal(got["input_ids"], native.preprocess(TEXTS)["input_ids"].numpy())


def test_native_max_length_reads_the_model_directorys_files(tmp_path: Path) -> None:
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 1e30}))
    assert native_max_length(tmp_path) is None  # transformers' "no limit"
    (tmp_path / "config.json").write_text(json.dumps({"max_position_embeddings": 514}))
    assert native_max_length(tmp_path) == 514
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64}))
    assert native_max_length(tmp_path) == 64


def test_the_onnx_vectors_of_varied_texts_are_pytorchs(embedder: Embedder) -> None:
    expected = Embedder(backend="torch").encode(TEXTS)
    assert np.abs(embedder.encode(TEXTS) - expected).max() < 1e-5


def test_a_tokenizer_that_differs_from_sentence_transformers_is_refused(torch_model, export: Path) -> None:  # type: ignore[no-untyped-def]
    check(torch_model, SentenceTokenizer(export, 128), TEXTS)  # the real one passes
    with pytest.raises(ConfigError, match="the saved tokenizer's input_ids differ from sentence-transformers'"):
        check(torch_model, SentenceTokenizer(export, 16), TEXTS)  # cut shorter than the model's


def test_a_cached_export_encodes_without_importing_sentence_transformers_or_torch(export: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("on a GPU the default is PyTorch")
    script = (
        "import sys\n"
        "from tagllm.retrieval.embedder import Embedder\n"
        "embedder = Embedder()\n"
        "vectors = embedder.encode(['red cotton shirt', '女士连衣裙'])\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "print(embedder.name, vectors.shape, embedder.dim, heavy)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout == "all-MiniLM-L6-v2+onnx-fp32 (2, 384) 384 []\n"


def test_a_cpu_build_of_torch_is_told_from_its_version_file() -> None:
    cpu = "__version__ = '2.13.0+cpu'\ncuda: Optional[str] = None\nhip: Optional[str] = None\n"
    assert not is_gpu_build(cpu)
    assert is_gpu_build(cpu.replace("cuda: Optional[str] = None", "cuda: Optional[str] = '12.8'"))
    assert is_gpu_build(cpu.replace("hip: Optional[str] = None", "hip = '6.4.1'"))

"""The LLM benchmark's timing (``llm_bench.py``): raw ``generate`` as a user calls it, tagllm's backend against it
on the same batches, and where one batch's time goes."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from tagllm.backends.base import Generation, GenerationRequest


def raw_generate(model: Any, tokenizer: Any, batches: list[tuple[Any, list[Any]]], max_new_tokens: int) -> list[str]:
    """What a user calling ``generate`` directly does: xgrammar's HF processor, greedy, decode."""
    import torch
    import transformers
    import xgrammar as xgr

    texts = []
    stops = model.generation_config.eos_token_id
    for encoded, grammars in batches:
        with torch.inference_mode():
            out = model.generate(
                **encoded,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                logits_processor=transformers.LogitsProcessorList([xgr.contrib.hf.LogitsProcessor(grammars)]),
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=stops,
            )
        texts.extend(tokenizer.batch_decode(out[:, encoded["input_ids"].shape[1] :], skip_special_tokens=True))
    return texts


def where_time_goes(
    args: argparse.Namespace, model: Any, tokenizer: Any, compiler: Any, template: str, chunk: list[GenerationRequest]
) -> None:
    """One batch: the prefill alone, then greedy decoding of a fixed number of tokens with no constraint, then the
    same batch under xgrammar's JSON-schema processor (as both sides of the benchmark run it): per decoding step,
    what the model costs and what the grammar adds."""
    import torch
    import transformers
    import xgrammar as xgr

    from tagllm.backends.chat import chat_text

    cuda = args.device.startswith("cuda")

    def timed(fn: Any) -> tuple[float, Any]:
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        out = fn()
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - t, out

    texts = [chat_text(tokenizer, r.messages) for r in chunk]
    encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    grammars = [compiler.compile_json_schema(json.dumps(r.schema), any_whitespace=False) for r in chunk]
    steps = 32
    free = dict(max_new_tokens=steps, min_new_tokens=steps, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    with torch.inference_mode():
        model(**encoded, logits_to_keep=1)  # warm-up; the last position's logits only, as generate asks
        prefill, _ = timed(lambda: model(**encoded, logits_to_keep=1))
        model.generate(**encoded, **free)
        unconstrained, _ = timed(lambda: model.generate(**encoded, **free))
        processor = transformers.LogitsProcessorList([xgr.contrib.hf.LogitsProcessor(grammars)])
        constrained, out = timed(
            lambda: model.generate(
                **encoded, max_new_tokens=args.max_new_tokens, do_sample=False, logits_processor=processor,
                pad_token_id=tokenizer.pad_token_id, eos_token_id=model.generation_config.eos_token_id,
            )
        )  # fmt: skip
    made = out.shape[1] - encoded["input_ids"].shape[1]
    free_step = (unconstrained - prefill) / steps
    grammar_step = (constrained - prefill) / max(made, 1)
    print(
        f"{template} batch {len(chunk)}, {encoded['input_ids'].shape[1]} tokens padded: prefill {prefill:.2f} s; a "
        f"decoding step {1000 * free_step:.1f} ms unconstrained, {1000 * grammar_step:.1f} ms under the grammar "
        f"({made} steps): the grammar's share of a step {1 - free_step / grammar_step:.0%}",
        flush=True,
    )


def measure(
    args: argparse.Namespace, backend: Any, model: Any, tokenizer: Any, compiler: Any,
    reqs: list[GenerationRequest], batch_size: int,
) -> tuple[float, float, dict[str, Any]]:  # fmt: skip
    """Seconds for tagllm's backend and for raw ``generate`` on the same batches (each batch back to back on both
    sides, alternating which goes first, best of --repeats), and what the answers were."""
    import torch

    from tagllm.backends.chat import chat_text

    cuda = args.device.startswith("cuda")
    # Raw side: inputs tokenised and grammars compiled before the clock starts.
    batches = []
    for start in range(0, len(reqs), batch_size):
        chunk = reqs[start : start + batch_size]
        texts = [chat_text(tokenizer, r.messages) for r in chunk]
        encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
        grammars = [compiler.compile_json_schema(json.dumps(r.schema), any_whitespace=False) for r in chunk]
        batches.append((encoded, grammars))
    backend.generate(reqs[:batch_size])  # warm-up: grammar compiler, kernels
    raw_generate(model, tokenizer, batches[:1], args.max_new_tokens)
    tagllm_s, raw_s = 0.0, 0.0
    generations: list[Generation] = []
    raw_texts: list[str] = []
    for b, (start, batch) in enumerate(zip(range(0, len(reqs), batch_size), batches, strict=True)):
        chunk = reqs[start : start + batch_size]
        best = {"tagllm": float("inf"), "raw": float("inf")}
        out: dict[str, Any] = {}
        for repeat in range(args.repeats):
            for side in ("tagllm", "raw") if (repeat + b) % 2 == 0 else ("raw", "tagllm"):
                if cuda:
                    torch.cuda.synchronize()
                t = time.perf_counter()
                if side == "tagllm":
                    out[side] = backend.generate(chunk)
                else:
                    out[side] = raw_generate(model, tokenizer, [batch], args.max_new_tokens)
                if cuda:
                    torch.cuda.synchronize()
                best[side] = min(best[side], time.perf_counter() - t)
        tagllm_s += best["tagllm"]
        raw_s += best["raw"]
        generations.extend(out["tagllm"])
        raw_texts.extend(out["raw"])
    line = {
        "errors": sum(g.error is not None for g in generations),
        "parsed": sum(_parses(g.text) for g in generations),
        "same": sum(g.text == r for g, r in zip(generations, raw_texts, strict=True)),
        "completion": statistics.mean(g.completion_tokens or 0 for g in generations),
    }
    return tagllm_s, raw_s, line


def _parses(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False

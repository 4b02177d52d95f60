"""LLM-path benchmark: prompt and completion tokens per template, and tagllm's transformers backend vs raw generate.

For each template it renders the real prompts a run would send (candidates and examples from the example index of
the eval datasets: Flipkart for the English templates, OpenBG for the Chinese ones), then prints

- prompt tokens per product, and the share of them in the static prefix every product shares (what an engine's
  prefix cache serves once);
- completion tokens per product (constrained JSON answers);
- on the same prompts in one run: products/s through ``TransformersBackend.generate`` (chat template, tokenising,
  grammar lookup, generation under the JSON-schema constraint, decoding, log-prob confidences) against calling
  ``model.generate`` directly with xgrammar's own HF logits processor on pre-tokenised batches and pre-compiled
  grammars — the same work minus everything tagllm adds. Both sides get the same batches; each batch is timed
  back to back on both sides, best of --repeats. The ratio is tagllm / raw.

No weights are downloaded: the model is random-weight (shape chosen with --shape) and the tokenizer a byte-level
BPE trained on the rendered prompts, unless --model points at a real model directory.

    python benchmarks/llm_bench.py                       # CPU, a small model
    python benchmarks/llm_bench.py --shape 7b --device cuda --dtype bfloat16 --products 256 --batch-size 64

``--attributes`` measures instead what tagging attributes costs in prompt tokens, two_step (the category, then the
facets that apply to it) against one_call (one schema over the facets of the top 3 category candidates), on the demo
taxonomy (as shipped, and with the facets scoped by applies_to) and on Flipkart and OpenBG with attribute facets
built from their examples' seller attributes (see ``seller_facets``). Per product and mode: engine passes, attribute
facets asked, prompt tokens, the tokens outside the shared static prefix (what the prefix cache cannot serve),
characters, and the completion tokens of the answer a model that knows the gold labels would write under the schema.
The products show title and brand only (their attributes and description hold the gold answers). No model runs.

    python benchmarks/llm_bench.py --attributes --products 100
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from llm_timing import measure, where_time_goes  # noqa: E402

from tagllm.backends.base import Backend, Generation, GenerationRequest  # noqa: E402

DATASETS = {
    "flipkart": {"taxonomy": "eval/data/flipkart/categories.jsonl", "examples": "eval/data/flipkart/examples.jsonl",
                 "gold": "eval/data/flipkart/gold.jsonl", "templates": ["fewshot", "zeroshot"]},
    "openbg-zh": {"taxonomy": "eval/data/openbg-zh/categories.jsonl", "examples": "eval/data/openbg-zh/examples.jsonl",
                  "gold": "eval/data/openbg-zh/gold.jsonl", "templates": ["fewshot-zh", "zeroshot-zh"]},
}  # fmt: skip
SHAPES: dict[str, dict[str, Any]] = {
    "tiny": {"hidden": 64, "layers": 2, "heads": 4, "kv_heads": 2},
    "small": {"hidden": 256, "layers": 4, "heads": 8, "kv_heads": 4},
    # Qwen2.5-7B's shape: 28 layers, hidden 3584, 28 query / 4 KV heads, MLP 18944, vocabulary 152,064.
    "7b": {"hidden": 3584, "layers": 28, "heads": 28, "kv_heads": 4, "intermediate": 18944, "vocab_size": 152064},
}


class Recorder(Backend):
    """Keeps the requests the tagger builds (messages and schema), so the benchmark renders what a run sends."""

    needs_prompt = True
    supports_schema = True

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        raise NotImplementedError("the benchmark builds requests with Tagger.requests and never generates")


def build_requests(dataset: str, template: str, n: int, k: int, max_candidates: int) -> list[GenerationRequest]:
    from tagllm.assembly import open_index
    from tagllm.config import load_config
    from tagllm.io import read_products
    from tagllm.models import Product
    from tagllm.retrieval.embedder import Embedder
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import load_taxonomy

    spec = DATASETS[dataset]
    cfg = load_config(
        None,
        taxonomy=str(REPO / spec["taxonomy"]), examples=str(REPO / spec["examples"]), label_field="gold_category",
        prompt=template, k=k, max_candidates=max_candidates, backend="transformers",
    )  # fmt: skip
    taxonomy = load_taxonomy(cfg.taxonomy)
    embedder = Embedder(cfg.embedder, device="cpu")
    recorder = Recorder()
    tagger = Tagger(
        taxonomy, index=open_index(cfg, taxonomy, embedder), embedder=embedder, backend=recorder, config=cfg
    )
    products = [p for p in read_products(REPO / spec["gold"]) if isinstance(p, Product)][:n]
    return tagger.requests(products)


def save_requests(path: Path, requests: dict[str, list[GenerationRequest]]) -> None:
    """The rendered requests (product, candidates, chat messages, schema) per template, as JSONL: a machine without
    the example index's dependencies (FAISS, the embedder's weights) replays them with ``--requests``."""
    with path.open("w", encoding="utf-8") as fh:
        for template, reqs in requests.items():
            for r in reqs:
                row = {
                    "template": template, "product": r.product.model_dump(mode="json"),
                    "candidates": {f: [c.model_dump() for c in cs] for f, cs in r.candidates.items()},
                    "messages": r.messages, "schema": r.schema,
                }  # fmt: skip
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def load_requests(path: Path) -> dict[str, list[GenerationRequest]]:
    from tagllm.models import Candidate, Product

    out: dict[str, list[GenerationRequest]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        candidates = {f: [Candidate(**c) for c in cs] for f, cs in row["candidates"].items()}
        request = GenerationRequest(
            product=Product(**row["product"]), candidates=candidates, messages=row["messages"], schema=row["schema"]
        )
        out.setdefault(row["template"], []).append(request)
    return out


# -- attribute tokens: two_step against one_call ---------------------------------------------------------------------
DEMO_SCOPES = {"material": ["apparel", "footwear", "home"], "audience": ["apparel", "footwear", "beauty", "jewellery"]}
ATTRIBUTE_DATASETS = {
    "demo": {"templates": ["fewshot", "zeroshot"]},
    "demo-scoped": {"templates": ["fewshot", "zeroshot"]},
    "flipkart": {"templates": ["fewshot", "zeroshot"]},
    "openbg-zh": {"templates": ["fewshot-zh", "zeroshot-zh"]},
}


def seller_facets(
    taxonomy: Any, rows: list[dict[str, Any]], *, min_examples: int = 10, min_share: float = 0.5, scope_depth: int = 2
) -> tuple[Any, dict[str, dict[str, list[str]]]]:
    """The category taxonomy plus one facet per seller-attribute key with a closed vocabulary, and each row's labels.

    A key becomes a facet when at least ``min_examples`` rows carry it and the values seen at least twice make up at
    least ``min_share`` of its occurrences (brands, model numbers, sizes in cm fail this); those values are the
    facet's. Comma-separated or list values make the facet multi-valued. The facet applies to the subtree of the
    depth-``scope_depth`` ancestor of every category whose rows carry the key (as a vertical's attributes do).
    """
    from collections import Counter

    from tagllm.retrieval.index import LabelResolver
    from tagllm.taxonomy import CATEGORY, Facet, Taxonomy, Value

    def values_of(raw: Any) -> list[str]:
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return [v.strip() for v in items if str(v).strip()]

    resolver = LabelResolver(taxonomy)
    counts: dict[str, Counter[str]] = {}
    rows_with: Counter[str] = Counter()
    multi: Counter[str] = Counter()
    for row in rows:
        for key, raw in (row.get("attributes") or {}).items():
            values = values_of(raw)
            rows_with[key] += 1
            multi[key] += len(values) > 1
            counts.setdefault(key, Counter()).update(values)
    facets = dict(taxonomy.facets)
    values = dict(taxonomy.values)
    vocab: dict[str, dict[str, str]] = {}
    for key, counter in counts.items():
        kept = {v: n for v, n in counter.items() if n >= 2}
        if rows_with[key] < min_examples or len(kept) < 2 or sum(kept.values()) < min_share * sum(counter.values()):
            continue
        if key in facets:
            continue
        facets[key] = Facet(key, key, f"the product's {key}", False, multi[key] > 0, False)
        vocab[key] = {}
        for i, name in enumerate(sorted(kept, key=lambda v: (-kept[v], v))):
            vid = f"{key}-{i}"
            values[vid] = Value(vid, name, key)
            vocab[key][name] = vid
    extended = Taxonomy(f"{taxonomy.name}+attributes", facets, values, source=taxonomy.source)
    scopes: dict[str, set[str]] = {key: set() for key in vocab}
    labels: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        category = resolver.resolve(CATEGORY, row.get("gold_category") or "")
        if category is None:
            continue
        row_labels = {CATEGORY: [category]}
        for key, raw in (row.get("attributes") or {}).items():
            ids = [vocab[key][v] for v in values_of(raw) if key in vocab and v in vocab[key]]
            if ids:
                row_labels[key] = ids
                top = taxonomy.lineage(category)[:scope_depth][-1]
                scopes[key].update(taxonomy.subtree(top))
        labels[row["id"]] = row_labels
    return extended.with_scopes({key: ids or None for key, ids in scopes.items()}), labels


def attribute_setup(dataset: str, products: int, workdir: Path) -> tuple[Any, Path, list[Any], dict[str, Any]]:
    """(taxonomy, labelled examples file, products to tag, their gold labels) for one attribute dataset."""
    from tagllm.models import Product
    from tagllm.taxonomy import load_taxonomy

    def product(row: dict[str, Any]) -> Product:
        return Product(id=row["id"], title=row["title"], brand=row.get("brand"))  # no attributes, no description

    if dataset.startswith("demo"):
        taxonomy = load_taxonomy("demo")
        if dataset == "demo-scoped":
            taxonomy = taxonomy.with_scopes(
                {f: {c for root in roots for c in taxonomy.subtree(root)} for f, roots in DEMO_SCOPES.items()}
            )
        rows = [json.loads(line) for line in (REPO / "tests/data/demo_examples.jsonl").read_text().splitlines()]
        examples, held_out = rows[::2], rows[1::2]  # every other example is tagged, the rest retrieved
        gold = {r["id"]: r["labels"] for r in held_out}
        examples_file = workdir / f"{dataset}-examples.jsonl"
        examples_file.write_text("".join(json.dumps(r) + "\n" for r in examples))
        return taxonomy, examples_file, [product(r) for r in held_out][:products], gold
    spec = DATASETS[dataset]
    base = load_taxonomy(str(REPO / spec["taxonomy"]))
    train = [json.loads(line) for line in (REPO / spec["examples"]).read_text(encoding="utf-8").splitlines()]
    test = [json.loads(line) for line in (REPO / spec["gold"]).read_text(encoding="utf-8").splitlines()][:products]
    taxonomy, labels = seller_facets(base, train)
    _, gold = seller_facets(base, test)  # the same vocabulary rules; only values the taxonomy has are kept below
    examples_file = workdir / f"{dataset}-examples.jsonl"
    examples_file.write_text(
        "".join(
            json.dumps({**r, "labels": labels[r["id"]]}, ensure_ascii=False) + "\n" for r in train if r["id"] in labels
        ),
        encoding="utf-8",
    )
    gold = {pid: {f: [v for v in ids if v in taxonomy.values and taxonomy.values[v].facet == f]
                  for f, ids in facets.items() if f in taxonomy.facets} for pid, facets in gold.items()}  # fmt: skip
    return taxonomy, examples_file, [product(r) for r in test], gold


def gold_answer(taxonomy: Any, request: GenerationRequest, gold: dict[str, list[str]], category: str | None) -> str:
    """The compact JSON a model knowing the gold labels writes under ``request``'s schema (candidates only)."""
    from tagllm.schema import candidate_labels
    from tagllm.taxonomy import CATEGORY

    answer: dict[str, Any] = {}
    for facet, cands in request.candidates.items():
        labels = {vid: label for label, vid in candidate_labels(taxonomy, facet, cands).items()}
        chosen = [category] if facet == CATEGORY and category else gold.get(facet, [])
        picked = [labels[v] for v in chosen if v in labels]
        answer[facet] = picked if taxonomy.facets[facet].multi_valued else (picked[0] if picked else None)
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


def attribute_tokens(args: argparse.Namespace) -> None:
    import tempfile

    from tagllm.assembly import open_index
    from tagllm.backends.chat import chat_text
    from tagllm.config import TaggerConfig
    from tagllm.llm_steps import ONE_CALL, TWO_STEP, LLMSteps
    from tagllm.retrieval.embedder import Embedder
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import CATEGORY
    from tagllm.testing import build_tokenizer

    embedder = Embedder(None, device="cpu")
    runs: list[tuple[str, str, str, list[tuple[int, list[GenerationRequest], str]]]] = []
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as workdir:
        for dataset, spec in ATTRIBUTE_DATASETS.items():
            taxonomy, examples, products, gold = attribute_setup(dataset, args.products, Path(workdir))
            sizes[dataset] = len(products)
            facets = list(taxonomy.facets)
            for template in spec["templates"]:
                cfg = TaggerConfig(
                    taxonomy="demo", examples=str(examples), label_field="labels", prompt=template, k=args.k,
                    max_candidates=args.max_candidates, backend="transformers", facets=facets,
                )  # fmt: skip
                index = open_index(cfg, taxonomy, embedder)
                tagger = Tagger(taxonomy, index=index, embedder=embedder, backend=Recorder(), config=cfg)
                assert tagger.steps is not None
                steps = {
                    mode: LLMSteps(taxonomy, facets, tagger.steps.prompt, tagger.steps.attribute_prompt, mode=mode)
                    for mode in (TWO_STEP, ONE_CALL)
                }
                per_mode: dict[str, list[tuple[int, list[GenerationRequest], str]]] = {TWO_STEP: [], ONE_CALL: []}
                for item in tagger.score(products):
                    labels = gold.get(item.product.id, {})
                    offered = [c.id for c in item.candidates.get(CATEGORY, [])]
                    # The category a model gets right when it can; else the top candidate (what step 2 then asks for).
                    category = next(
                        (c for c in labels.get(CATEGORY, []) if c in offered), offered[0] if offered else None
                    )
                    first = steps[TWO_STEP].first(item)
                    second = steps[TWO_STEP].second(item, category)
                    asked = [r for r in (first, second) if r is not None]
                    answers = "".join(gold_answer(taxonomy, r, labels, category) for r in asked)
                    per_mode[TWO_STEP].append((len(second.candidates) if second else 0, asked, answers))
                    one = steps[ONE_CALL].first(item)
                    per_mode[ONE_CALL].append(
                        (len(one.candidates) - 1, [one], gold_answer(taxonomy, one, labels, category))
                    )
                for mode, rows in per_mode.items():
                    runs.append((dataset, template, mode, rows))
        corpus = [m["content"] for *_, rows in runs for _, asked, _ in rows for r in asked for m in r.messages or []]
        tokenizer = build_tokenizer(corpus, "qwen", vocab_size=args.vocab)
    counts = ", ".join(f"{d} {n}" for d, n in sizes.items())
    print(f"tokenizer: byte-level BPE trained on this run's prompts, {len(tokenizer)} tokens, ChatML chat template; "
          f"products: {counts}; k={args.k}, max_candidates={args.max_candidates}; one_call: the facets of the top 3 "
          "category candidates")  # fmt: skip
    print()
    print(
        "dataset      template      mode      passes  facets  asked  prompt tok  uncached tok   chars  completion tok"
    )
    for dataset, template, mode, rows in runs:
        prompt_tokens, uncached, chars, completion, facets_asked, passes = [], [], [], [], [], []
        for n_facets, asked, answer in rows:
            total = fresh = 0
            for request in asked:
                messages = request.messages or []
                ids = tokenizer(chat_text(tokenizer, messages), add_special_tokens=False)["input_ids"]
                # What every product of this request's facet set shares: the system message (the static part).
                static = tokenizer(chat_text(tokenizer, messages[:1]), add_special_tokens=False)["input_ids"]
                total += len(ids)
                fresh += len(ids) - static_prefix_len(ids, static)
            prompt_tokens.append(total)
            uncached.append(fresh)
            chars.append(sum(len(m["content"]) for r in asked for m in r.messages or []))
            completion.append(len(tokenizer(answer, add_special_tokens=False)["input_ids"]))
            facets_asked.append(n_facets)
            passes.append(len(asked))
        with_step2 = sum(n > 0 for n in facets_asked) / len(rows)
        print(
            f"{dataset:<12} {template:<13} {mode:<9} {max(passes):>6}  {statistics.mean(facets_asked):>6.2f}  "
            f"{with_step2:>5.0%}  {statistics.mean(prompt_tokens):>10.1f}  {statistics.mean(uncached):>12.1f}  "
            f"{statistics.mean(chars):>6.0f}  {statistics.mean(completion):>14.1f}"
        )


def static_prefix_len(ids: list[int], other: list[int]) -> int:
    return next((i for i, (a, b) in enumerate(zip(ids, other, strict=False)) if a != b), min(len(ids), len(other)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=32, help="products per template")
    parser.add_argument("--shape", choices=list(SHAPES), default="small")
    parser.add_argument("--model", help="a real model directory instead of a random-weight one")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--batch-size", type=int, nargs="+", default=[16], help="one or more: each is measured")
    parser.add_argument("--templates", nargs="+", default=None, help="templates measured (default: all four)")
    parser.add_argument("--save-requests", type=Path, help="render the requests, write them here (JSONL) and stop")
    parser.add_argument("--requests", type=Path, help="replay requests written by --save-requests (no index needed)")
    parser.add_argument(
        "--where", action="store_true",
        help="instead: where one batch's time goes (prefill, a decoding step with and without the JSON grammar)",
    )  # fmt: skip
    parser.add_argument(
        "--routed-share", type=float, default=None,
        help="also print products/s of a catalogue of which only this share goes to the LLM (routing)",
    )  # fmt: skip
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each batch per side (best counts)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--max-candidates", type=int, default=12)
    parser.add_argument("--vocab", type=int, default=4000, help="BPE vocabulary of the trained tokenizer")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--attributes", action="store_true", help="prompt tokens of two_step against one_call")
    args = parser.parse_args()
    if args.attributes:
        attribute_tokens(args)
        return
    wanted = args.templates or [t for spec in DATASETS.values() for t in spec["templates"]]
    if args.requests is not None:
        requests = {t: reqs[: args.products] for t, reqs in load_requests(args.requests).items() if t in wanted}
    else:
        requests = {}
        for dataset, spec in DATASETS.items():
            for template in spec["templates"]:
                if template in wanted:
                    requests[template] = build_requests(dataset, template, args.products, args.k, args.max_candidates)
    if args.save_requests is not None:
        save_requests(args.save_requests, requests)
        print(f"{args.save_requests}: {sum(map(len, requests.values()))} requests ({', '.join(requests)})")
        return

    import torch
    import xgrammar as xgr

    from tagllm.backends.chat import chat_text
    from tagllm.backends.transformers import TransformersBackend
    from tagllm.models import Product
    from tagllm.prompts import load_prompt
    from tagllm.taxonomy import load_taxonomy

    if args.threads:
        torch.set_num_threads(args.threads)
    taxonomies = {dataset: load_taxonomy(str(REPO / spec["taxonomy"])) for dataset, spec in DATASETS.items()}

    dtype = getattr(torch, args.dtype)
    if args.model:
        import transformers

        tokenizer = transformers.AutoTokenizer.from_pretrained(args.model)
        model = transformers.AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype).to(args.device).eval()
        what = args.model
    else:
        from tagllm.testing import build_model, build_tokenizer

        corpus = [m["content"] for reqs in requests.values() for r in reqs for m in r.messages or []]
        tokenizer = build_tokenizer(corpus, "qwen", vocab_size=args.vocab)
        model = build_model(tokenizer, "qwen", **SHAPES[args.shape], dtype=dtype, device=args.device)
        what = f"random-weight Qwen2 shape '{args.shape}' {SHAPES[args.shape]}, BPE vocab {len(tokenizer)}"
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {what}; {params / 1e6:.1f}M parameters; {args.device} {args.dtype}; torch threads "
          f"{torch.get_num_threads()}; batch sizes {args.batch_size}; up to {args.products} products "
          "per template")  # fmt: skip

    backend = TransformersBackend.from_model(
        model, tokenizer, batch_size=args.batch_size[0], max_new_tokens=args.max_new_tokens
    )
    tokenizer.padding_side = "left"
    info = xgr.TokenizerInfo.from_huggingface(
        tokenizer, vocab_size=backend._vocab_size(), stop_token_ids=[tokenizer.eos_token_id]
    )
    compiler = xgr.GrammarCompiler(info)
    if args.where:
        for template, reqs in requests.items():
            for batch_size in args.batch_size:
                where_time_goes(args, model, tokenizer, compiler, template, reqs[:batch_size])
        return
    routed = f"  routed {args.routed_share:.1%}: prod/s" if args.routed_share else ""
    print()
    print("template        batch  prompt tok/product  static prefix  completion tok/product  tagllm prod/s  "
          f"raw prod/s  ratio{routed}")  # fmt: skip
    totals = {"tagllm": 0.0, "raw": 0.0, "n": 0}
    for dataset, spec in DATASETS.items():
        for template in spec["templates"]:
            if template not in requests:
                continue
            reqs = requests[template]
            prompt = load_prompt(template, taxonomies[dataset])
            # The static prefix: what every product's prompt shares with any other's (a sentinel product here).
            sentinel = prompt.render(Product(id="_", title="_"), {f: [] for f in reqs[0].candidates}, [])
            sentinel_ids = tokenizer(chat_text(tokenizer, sentinel), add_special_tokens=False)["input_ids"]
            prompt_ids = [
                tokenizer(chat_text(tokenizer, r.messages), add_special_tokens=False)["input_ids"] for r in reqs
            ]
            prompt_tokens = statistics.mean(len(ids) for ids in prompt_ids)
            static_share = statistics.mean(static_prefix_len(ids, sentinel_ids) / len(ids) for ids in prompt_ids)
            for batch_size in args.batch_size:
                backend.batch_size = batch_size
                tagllm_s, raw_s, line = measure(args, backend, model, tokenizer, compiler, reqs, batch_size)
                totals["tagllm"] += tagllm_s
                totals["raw"] += raw_s
                totals["n"] += len(reqs)
                tagllm_rate, raw_rate = len(reqs) / tagllm_s, len(reqs) / raw_s
                extra = f"  {tagllm_rate / args.routed_share:>10.2f}" if args.routed_share else ""
                print(
                    f"{template:<14} {batch_size:>6}  {prompt_tokens:>18.1f}  {static_share:>12.1%}  "
                    f"{line['completion']:>22.1f}  {tagllm_rate:>13.2f}  {raw_rate:>10.2f}  "
                    f"{tagllm_rate / raw_rate:>5.2f}{extra}   ({line['parsed']}/{len(reqs)} parse, {line['errors']} "
                    f"errors, {line['same']}/{len(reqs)} identical to raw)",
                    flush=True,
                )
    overall = totals["n"] / totals["tagllm"], totals["n"] / totals["raw"]
    print(f"{'all':<14} {'':>6}  {'':>18}  {'':>12}  {'':>22}  {overall[0]:>13.2f}  {overall[1]:>10.2f}  "
          f"{overall[0] / overall[1]:>5.2f}")  # fmt: skip
    if args.routed_share:
        print(f"routed: only {args.routed_share:.1%} of a catalogue's products go to the LLM (the rest keep the "
              "default's tags), so the LLM's products/s covers 1/share as many products; the default's own CPU time "
              "is not in this figure")  # fmt: skip


if __name__ == "__main__":
    main()

"""Map every hand-written mapping case file (``benchmarks/mapping_*.yaml``) with one Mapper and print per-file and
total figures: right, wrong and rejected of the mappable strings, and the must-reject strings mapped.

What a change to the mapper is measured with across all dev files at once (one Mapper, so the one-time loads are
paid once). Run from the repository root:

    HF_HUB_OFFLINE=1 python benchmarks/mapping_all.py [--skip mapping_fresh25.yaml] [--errors] [--kinds]

``--skip`` leaves out files held out for a later measurement; ``--only`` maps the files named; ``--errors`` prints
each wrong or rejected case; ``--kinds`` adds each file's table by kind. The taxonomy is Shopify's without the
shipped synonym file (as ``mapping_bench.py --written-only`` maps written cases)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from mapping_common import load  # noqa: E402
from mapping_written import load_written_cases, map_written, print_written_errors, report_written  # noqa: E402

from tagllm.mapping import Mapper  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip", nargs="*", default=[], help="case files (names) to leave out: held-out sets")
    parser.add_argument("--only", nargs="*", default=None, help="map these case files (names) alone")
    parser.add_argument("--errors", action="store_true", help="print each wrong or rejected case")
    parser.add_argument("--kinds", action="store_true", help="print each file's figures by kind")
    args = parser.parse_args()
    mapper = Mapper(load(synonyms=False))
    files = sorted(HERE.glob("mapping_*.yaml"))
    files = [p for p in files if (p.name in args.only if args.only is not None else p.name not in args.skip)]
    totals = dict.fromkeys(["mappable", "right", "wrong", "must_reject", "mapped"], 0)
    for path in files:
        outcomes = map_written(mapper, load_written_cases(mapper.taxonomy, path))
        mappable = [(case, got) for case, got, *_ in outcomes if case.expected is not None]
        rejects = [got for case, got, *_ in outcomes if case.expected is None]
        counts = {
            "mappable": len(mappable),
            "right": sum(got == case.expected for case, got in mappable),
            "wrong": sum(got is not None and got != case.expected for case, got in mappable),
            "must_reject": len(rejects),
            "mapped": sum(got is not None for got in rejects),
        }
        totals = {key: totals[key] + counts[key] for key in totals}
        print(f"{path.name:<28} {_line(counts)}")
        if args.errors:
            print_written_errors(mapper, outcomes)
        if args.kinds:
            report_written(outcomes)
    print(f"TOTAL ({len(files)} files) {_line(totals)}")


def _line(counts: dict[str, int]) -> str:
    """One file's (or all files') figures on one line."""
    share = counts["right"] / max(counts["mappable"], 1)
    return (
        f"mappable {counts['mappable']:>5} right {counts['right']:>5} ({share:.1%}) wrong {counts['wrong']:>4}  "
        f"must-reject {counts['must_reject']:>5} mapped {counts['mapped']:>3}"
    )


if __name__ == "__main__":
    main()

"""Which sampler settings should the Pokémon page default to? Measure them on the yardstick.

    .venv/bin/python scripts/pokemon_sampling_sweep.py --weights pokemon pokemon-wide \
        --guidance 1.5 2 3 --steps 10 25 [--sampler dpm++] [--out runs/pokemon-sampling.json]

Every (model, sampler, steps, guidance) combination draws the yardstick's fixed-seed samples and is measured
against the same reference as `genstudio eval pokemon`; the ladder is printed first. Settings are a free
improvement when they beat the page's defaults: no training, same model.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import torch

from genstudio.yardstick.pokemon import (
    build_reference,
    format_table,
    generate,
    ladder_table,
    measure,
    requested_styles,
    requested_types,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", nargs="+", default=["pokemon"])
    ap.add_argument("--sampler", nargs="+", default=["dpm++"])
    ap.add_argument("--steps", type=int, nargs="+", default=[10])
    ap.add_argument("--guidance", type=float, nargs="+", default=[3.0])
    ap.add_argument("--data-root", default="../shared/datasets")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default="runs/pokemon-sampling.json")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with torch.no_grad():
        ref = build_reference(args.data_root)
        rows = ladder_table(ref)
        print(format_table(rows), flush=True)
        types, styles = requested_types(ref, len(ref.reference)), requested_styles(ref, len(ref.reference))
        for name, sampler, steps, guidance in itertools.product(args.weights, args.sampler, args.steps,
                                                                args.guidance):
            label = f"{name} {sampler} {steps} steps, guidance {guidance:g}"
            rows[label] = measure(ref, generate(name, types, {"sampler": sampler, "steps": steps,
                                                              "guidance": guidance}, styles))
            print(format_table({label: rows[label]}).splitlines()[-1], flush=True)
    print(format_table(rows))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

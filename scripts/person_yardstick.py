"""Measure face generators on the face yardstick and keep it in their cards.

The yardstick table (ladder + the model's row), each attribute's rate beside real faces' and, with --record,
the model's history (steps, wall time, FID, KID, precision, recall) go into the `## Yardstick` section of
weights/<name>/README.md.

With --upsampler NAME the generators are measured at 2× through that up-sampler (and bicubic, beside it) against
the sharp held-out photos at twice their resolution, and the section and the history (with the generator and the
features in each row) go into the up-sampler's card, weights/NAME/README.md.

    .venv/bin/python scripts/person_yardstick.py person-wgan person-wgan64 --record
    .venv/bin/python scripts/person_yardstick.py person-wgan64 --upsampler person-upsampler --record
"""

from __future__ import annotations

import argparse

from genstudio import weights
from genstudio.yardstick.cards import history_table, load_history, record, trained_steps, write_yardstick
from genstudio.yardstick.person import JUDGE, evaluate, evaluate_2x, format_rates
from genstudio.yardstick.pokemon import format_table

NOTE = (
    "FID, KID (×1000) and k-NN precision/recall (k = 3) in the pooled last-layer features of the face-attribute "
    "classifier ([`face-attributes`](../face-attributes/README.md), 64 px input), against half of the faces of "
    "the held-out identities (the classifier's validation split); the ladder degrades the other half. Samples: "
    "as many faces as the reference, fixed seeds, truncation 1. Reproduce: `genstudio eval person --weights NAME`."
)

NOTE_2X = (
    "At {size} px: FID, KID (×1000) and k-NN precision/recall (k = 3) in the pooled last-layer features of "
    "[`{features}`](../{features}/README.md) ({features_input} px input), against half of the sharp photos of the "
    "held-out identities ({reference_images} photos; the soft ones were up-sampled from 89 px and have no real "
    "detail above it); the ladder degrades the other half. Each generator's faces (fixed seeds, truncation 1) are "
    "up-sampled from its output by `{upsampler}` and, for comparison, by bicubic (the base `{upsampler}` adds its "
    "residual to). Reproduce: `genstudio eval person --weights GENERATOR --upsampler {upsampler}`."
)


def main_2x(args: argparse.Namespace) -> None:
    rows, rates, facts = evaluate_2x(args.names, args.upsampler, args.data_root, args.features, limit=args.limit)
    print(format_table(rows))
    print(format_rates(rates))
    folder = weights.model_dir(args.upsampler)
    history = load_history(folder)
    ladder = {k: v for k, v in rows.items() if k.startswith("real")}
    parts = [NOTE_2X.format(**facts), ""]
    for name in args.names:
        mine = {k: v for k, v in rows.items() if k.startswith(f"{name} + ")}
        if args.record:
            context = {"generator": name, "features": facts["features"], "size": facts["size"]}
            history = record(folder, *trained_steps(args.upsampler), rows[f"{name} + {args.upsampler}"], context)
        parts += [f"### {name}", "", format_table({**ladder, **mine}, highlight=f"{name} + {args.upsampler}"), "",
                  "Attribute rates (the classifier's reading above 0.5):", "",
                  format_rates({k: v for k, v in rates.items() if k == "real (held-out)" or k in mine}), ""]
    card = write_yardstick(folder, parts, history_table(history, ("generator", "features", "size")) if history else "")
    print(f"{card}: yardstick section written")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--data-root", default="../shared/datasets")
    parser.add_argument("--record", action="store_true", help="append this measurement to the history")
    parser.add_argument("--upsampler", default=None, help="measure at 2× through this up-sampler (its card)")
    parser.add_argument("--features", default=JUDGE, help="with --upsampler: the features' classifier "
                        "(face-attributes if it is missing)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many faces per half")
    args = parser.parse_args()
    if args.upsampler:
        main_2x(args)
        return
    rows, rates = evaluate(args.names, args.data_root, limit=args.limit)
    print(format_table(rows))
    print(format_rates(rates))
    ladder = {k: v for k, v in rows.items() if k.startswith("real")}
    for name in args.names:
        folder = weights.model_dir(name)
        history = load_history(folder)
        if args.record:
            history = record(folder, *trained_steps(name), rows[name])
        parts = [NOTE, "", format_table({**ladder, name: rows[name]}, highlight=name), "",
                 "Attribute rates (the classifier's reading above 0.5):", "",
                 format_rates({k: v for k, v in rates.items() if k in ("real (held-out)", name)}), ""]
        card = write_yardstick(folder, parts, history_table(history) if history else "")
        print(f"{card}: yardstick section written")


if __name__ == "__main__":
    main()

"""Measure face generators on the face yardstick and keep it in their cards.

The yardstick table (ladder + the model's row), each attribute's rate beside real faces' and, with --record,
the model's history (steps, wall time, FID, KID, precision, recall) go into the `## Yardstick` section of
weights/<name>/README.md.

    .venv/bin/python scripts/person_yardstick.py person-wgan person-wgan64 --record
"""

from __future__ import annotations

import argparse
import json

from genstudio import weights
from genstudio.yardstick.cards import history_table, load_history, record, write_section
from genstudio.yardstick.person import evaluate, format_rates
from genstudio.yardstick.pokemon import format_table

NOTE = (
    "FID, KID (×1000) and k-NN precision/recall (k = 3) in the pooled last-layer features of the face-attribute "
    "classifier ([`face-attributes`](../face-attributes/README.md), 64 px input), against half of the faces of "
    "the held-out identities (the classifier's validation split); the ladder degrades the other half. Samples: "
    "as many faces as the reference, fixed seeds, truncation 1. Reproduce: `genstudio eval person --weights NAME`."
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--data-root", default="../shared/datasets")
    parser.add_argument("--record", action="store_true", help="append this measurement to the history")
    args = parser.parse_args()
    rows, rates = evaluate(args.names, args.data_root)
    print(format_table(rows))
    print(format_rates(rates))
    ladder = {k: v for k, v in rows.items() if k.startswith("real")}
    for name in args.names:
        folder = weights.model_dir(name)
        history = load_history(folder)
        if args.record:
            facts = json.loads((folder / "config.json").read_text()).get("training") or {}
            history = record(folder, int(facts.get("steps", 0)), float(facts.get("wall_time_s", 0)) / 3600, rows[name])
        parts = [NOTE, "", format_table({**ladder, name: rows[name]}, highlight=name), "",
                 "Attribute rates (the classifier's reading above 0.5):", "",
                 format_rates({k: v for k, v in rates.items() if k in ("real (held-out)", name)}), ""]
        if history:
            parts += ["### History", "", history_table(history), ""]
        write_section(folder / "README.md", "\n".join(parts), name)
        print(f"{folder / 'README.md'}: yardstick section written")


if __name__ == "__main__":
    main()

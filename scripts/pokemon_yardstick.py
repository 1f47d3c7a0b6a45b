"""Measure Pokémon models on the yardstick and keep it in their cards.

For each model: the yardstick table (ladder + the model's row) and the memorisation check go into a
`## Yardstick` section of weights/<name>/README.md (between `<!-- yardstick -->` markers, so the rest of the
card is kept); with --record, a row (steps, wall time, FID, KID, precision, recall) is appended to the
model's history (weights/<name>/history.json) first, and the history table is written too. With --bakeoff
the equal-budget bake-off table (scripts/bakeoff.sh's table.json) is added.

    .venv/bin/python scripts/pokemon_yardstick.py pokemon pokemon-gan --record [--bakeoff runs/bakeoff/table.json]
    .venv/bin/python scripts/pokemon_yardstick.py pokemon-wide --record --json runs/x.json   # measured already

--json reads a measurement saved by `genstudio eval pokemon --json-out` instead of measuring again (sampling
hundreds of images takes minutes of a core); it must hold every name.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from genstudio import weights
from genstudio.weights import digest, read_config
from genstudio.yardstick.cards import history_table, load_history, record, trained_steps, write_section
from genstudio.yardstick.pokemon import evaluate, format_table

LADDER_NOTE = (
    "FID, KID (×1000) and k-NN precision/recall (k = 3) in the features of "
    "[`pokemon-features`](../pokemon-features/README.md), a luminance-only network trained to tell *other* "
    "species apart, so the features see silhouette and inner structure, not palette. The reference is half of "
    "the art of the held-out species (the network never saw them); the ladder degrades the other half. "
    "Samples: one per requested type in the art set's type proportions, fixed seeds, the page's defaults. "
    "Reproduce: `genstudio eval pokemon --weights NAME`."
)


BAKEOFF = re.compile(r"### Equal-budget bake-off\n.*?(?=<!-- /yardstick -->)", re.S)


def section(name: str, rows: dict, memo: float, history: list[dict], bakeoff: dict | None, card: Path) -> str:
    """Ladder, the autoencoder's ceiling (latent models), the model's row, history; the bake-off table from
    `bakeoff`, or the one already in the card."""
    ladder = {k: v for k, v in rows.items() if k.startswith(("real", "colour", "noise"))}
    ae = read_config(name).get("autoencoder")
    ceiling = {f"{ae} reconstruction": rows[f"{ae} reconstruction"]} if ae else {}
    parts = [LADDER_NOTE, "",
             format_table({**ladder, **ceiling, name: rows[name]}, highlight=name), "",
             f"Memorisation check: median RMS pixel distance (32 px, 0–1) from a sample to its nearest training "
             f"image {memo:.3f} (a copy would be near 0).", ""]
    if ceiling:
        parts[-1:-1] = [f"`{ae} reconstruction`: the held-out images through this model's autoencoder — the best "
                        "any sample decoded by it can score (its ceiling).", ""]
    if history:
        columns = ("decoder",) if any("decoder" in h for h in history) else ()
        parts += ["### History", "", history_table(history, columns), ""]
    if bakeoff:
        parts += ["### Equal-budget bake-off", "",
                  "Candidates trained at the same time, one thread each, on the same shared 2-core CPU; "
                  "`name@N min` is the snapshot after N minutes of wall time (`scripts/bakeoff.sh`).", "",
                  format_table(bakeoff["rows"]), ""]
    elif card.is_file() and (kept := BAKEOFF.search(card.read_text())):
        parts += [kept.group(0).rstrip(), ""]
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--data-root", default="../shared/datasets")
    parser.add_argument("--record", action="store_true", help="append this measurement to the history")
    parser.add_argument("--bakeoff", default=None, help="a bake-off table.json to include")
    parser.add_argument("--hours", type=float, default=None, help="wall time to record when the model has none")
    parser.add_argument("--json", default=None, help="a `genstudio eval pokemon --json-out` file to use")
    args = parser.parse_args()
    if args.json:
        saved = json.loads(Path(args.json).read_text())
        others = set(saved["memorisation"]) - set(args.names)  # models measured beside them: not theirs to show
        rows = {k: v for k, v in saved["rows"].items() if k not in others}
        memo = saved["memorisation"]
        missing = [n for n in args.names if n not in rows or n not in memo]
        if missing:
            parser.error(f"{args.json} has no measurement of {', '.join(missing)}")
    else:
        rows, memo = evaluate(args.names, args.data_root)
    print(format_table(rows))
    bakeoff = json.loads(Path(args.bakeoff).read_text()) if args.bakeoff else None
    for name in args.names:
        folder = weights.model_dir(name)
        history = load_history(folder)
        if args.record:
            ae = read_config(name).get("autoencoder")
            context = {"decoder": digest(ae)} if ae else None
            history = record(folder, *trained_steps(name, args.hours), rows[name], context)
        card = folder / "README.md"
        write_section(card, section(name, rows, memo[name], history, bakeoff, card), name)
        print(f"{folder / 'README.md'}: yardstick section written")


if __name__ == "__main__":
    main()

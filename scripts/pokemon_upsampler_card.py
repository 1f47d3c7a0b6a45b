"""Measure the Pokémon 2× up-sampler on held-out art and write its model card (issue #12).

    .venv/bin/python scripts/pokemon_upsampler_card.py [NAME] [--generator MODEL] [--json-out rows.json]
                                                       [--record [--hours H]] [--no-card] [--limit N]

1. The art of the species the Pokémon yardstick holds out (never trained on), 128 px, area-down-sampled to 64 px
   and enlarged back by Lanczos (the page at native resolution), bicubic and the learned up-sampler NAME (the page
   at 2×): PSNR, SSIM and edge sharpness against the real art, printed as a table (and written with --json-out).
2. weights/NAME/README.md (a hand-written `<!-- notes -->` section is kept) and samples.png: 8 Pokémon of the
   generator (fixed seeds, type "any", DPM++ 10 steps, guidance 3) as rows: 64 px enlarged by whole pixels,
   Lanczos 2×, learned 2×. Only generated images are pictured; no dataset image is written.
3. With --record, a row (date, steps, wall time, the learned and Lanczos rows' numbers) is appended to
   weights/NAME/history.json first and shown in the card.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from genstudio import weights
from genstudio.data.pokemon import is_held_out_species, load_pokemon
from genstudio.imaging import grid
from genstudio.services.pokemon import MODEL
from genstudio.services.pokemon.models import load_pokemon_model
from genstudio.services.pokemon.pipeline import display
from genstudio.services.resolution import Upsampling
from genstudio.upsampler.model import load_upsampler
from genstudio.upsampler.networks import bicubic2x
from genstudio.yardstick.cards import history_table, load_history, record, trained_steps, write_yardstick
from genstudio.yardstick.upsampling import format_table, jsonable, measure_2x, network, per_image

LANCZOS = "Lanczos 2× (the page at native)"
BICUBIC = "bicubic 2×"
SEEDS = list(range(8))
SAMPLING = {"type_name": "any", "sampler": "dpm++", "steps": 10, "guidance": 3.0}
HISTORY_METRICS = (("psnr", "PSNR ↑", ".2f"), ("ssim", "SSIM ↑", ".4f"), ("sharpness", "sharpness", ".3f"),
                   ("lanczos_psnr", "Lanczos PSNR", ".2f"), ("lanczos_ssim", "Lanczos SSIM", ".4f"),
                   ("lanczos_sharpness", "Lanczos sharpness", ".3f"))
COPYRIGHT = "© Nintendo / Creatures Inc. / GAME FREAK inc. / The Pokémon Company"
NOTE = (
    "{images:,} art images of the {species} species the Pokémon yardstick holds out (never trained on), 128 px. "
    "Each is area-down-sampled to 64 px (rounded to 8 bits, as a drawing is) and enlarged back to 128 px by each "
    "method, the results rounded to 8 bits as the page's PNGs are. PSNR is of the squared error pooled over all "
    "images; SSIM the mean per image (scikit-image, 7×7 window); edge sharpness the mean luminance gradient "
    "magnitude of the results over that of the real art (1 = as sharp as the real art; blur gives less, halos "
    "and over-sharpening more, and so do noise and checkerboard, which it counts as edges too: look at "
    "`samples.png` before trusting a value near 1). The first row is the real art against itself, the ceiling. "
    "Deterministic: the same weights give the same table. Reproduce: "
    "`.venv/bin/python scripts/pokemon_upsampler_card.py {name}` (`--record --hours H` adds a history row)."
)


def learned_label(name: str) -> str:
    return f"{name} 2× (the page at 2×)"


def held_out_art(data_root: str, limit: int | None = None) -> tuple[np.ndarray, int]:
    """The 128 px art of the held-out species (uint8 [N, 128, 128, 3]) and how many species that is."""
    art = load_pokemon(data_root, size=128, subset="art")
    held = np.array([is_held_out_species(d) for d in art.dex], dtype=bool)
    images, dex = art.images[held][:limit], art.dex[held][:limit]
    return images, len(set(dex.tolist()))


def measure(name: str, data_root: str, limit: int | None = None) -> dict[str, Any]:
    """The table's rows (REFERENCE, Lanczos, bicubic, learned) on the held-out art, and what they were measured on."""
    real, species = held_out_art(data_root, limit)
    up = load_upsampler(name)
    methods = {LANCZOS: per_image(display), BICUBIC: network(bicubic2x), learned_label(name): network(up)}
    rows = measure_2x(real, methods, reference="real 128 px art (itself)")
    return {"upsampler": name, "checkpoint": weights.digest(name), "steps": trained_steps(name)[0],
            "images": len(real), "species": species, "rows": rows}


def history_row(name: str, rows: dict[str, dict[str, float]]) -> dict[str, float]:
    learned, lanczos = rows[learned_label(name)], rows[LANCZOS]
    return {**learned, **{f"lanczos_{k}": v for k, v in lanczos.items()}}


def samples(name: str, generator: str, path: Path) -> None:
    """samples.png: the generator's drawings (generated only) enlarged by nearest, Lanczos and the up-sampler."""
    drawn = load_pokemon_model(generator).generate(seeds=SEEDS, **SAMPLING)
    nearest = [im.resize((2 * im.width, 2 * im.height), Image.Resampling.NEAREST) for im in drawn]
    rows = [nearest, [display(im) for im in drawn], Upsampling(name, load_upsampler(name)).images(drawn)]
    grid([grid(r, columns=len(SEEDS), pad=2) for r in rows], columns=1, pad=4).save(path)


def compare(learned: dict[str, float], lanczos: dict[str, float]) -> str:
    """How the learned row stands against Lanczos (what the page shows without it), in words."""
    d = learned["psnr"] - lanczos["psnr"]
    return f"{abs(d):.2f} dB {'above' if d >= 0 else 'below'} Lanczos"


def sharpness_words(ratio: float) -> str:
    """The sharpness ratio in words: the thresholds are loose on purpose (±5 % is within what the eye misses)."""
    if ratio < 0.95:
        return "softer than the real 128 px art"
    if ratio > 1.05:
        return "sharper than the real art: look for over-sharpened outlines and halos in `samples.png`"
    return "about as sharp as the real art"


def card(name: str, generator: str, result: dict[str, Any], old: str) -> str:
    """The card above its yardstick section (write_yardstick adds that), keeping old's hand-written notes."""
    from genstudio.diffusion.card import NOTES

    config = weights.read_config(name)
    facts = config.get("training") or {}
    cfg = facts.get("config") or {}
    optim, val = cfg.get("optim") or {}, facts.get("validation") or {}
    config_file = (cfg.get("extra") or {}).get("config_file") or f"configs/{cfg.get('name', name)}-cpu.yaml"
    steps, hours = trained_steps(name)
    params = sum(p.numel() for p in load_upsampler(name).parameters())
    rows = result["rows"]
    learned, lanczos, bicubic = rows[learned_label(name)], rows[LANCZOS], rows[BICUBIC]
    kept = NOTES.search(old)
    notes = kept.group(0) if kept else "<!-- notes -->\n_(notes on quality are added by hand)_\n<!-- /notes -->"
    configured = int(cfg.get("steps") or 0)
    lines = [
        f"# {name} — 2× Pokémon up-sampler (64 → 128 px) for Random Pokémon",
        "",
        "Turns the Random Pokémon models' 64 px drawings into 128 px images: the **2×** resolution choice on the "
        "Pokémon page and `resolution: 2x` in the API (at native resolution the page shows the 64 px drawing "
        f"enlarged 2× by Lanczos). Research artefact trained on Pokémon artwork ({COPYRIGHT}); the images are not "
        "in this repository.",
        "",
        "![generated Pokémon: 64 px shown 2× by whole pixels, Lanczos 2×, this up-sampler](samples.png)",
        "",
        f"`samples.png`: 8 Pokémon drawn by `{generator}` (seeds {SEEDS[0]}–{SEEDS[-1]}, type \"any\", DPM++ "
        f"{SAMPLING['steps']} steps, guidance {SAMPLING['guidance']:g}). Top: the 64 px drawing enlarged by whole "
        "pixels; middle: Lanczos 2× (the page at native resolution); bottom: this up-sampler (the page at 2×). "
        "Only generated images are shown.",
        "",
        notes,
        "",
        "## Model",
        f"A residual CNN over bicubic up-sampling (width {config.get('width')}, {config.get('blocks')} residual "
        f"blocks, pixel shuffle; {params / 1e3:.0f} k parameters): it starts as bicubic and learns only what bicubic "
        "misses (`genstudio/upsampler/`). Trained with L1, then L1 + "
        f"{optim.get('adv_weight')} × a patch critic's hinge term from step {optim.get('adv_from')} (SRGAN's recipe, "
        f"scaled down; the critic is training-only). The shipped weights are the EMA copy (decay "
        f"{cfg.get('ema_decay')}), fp16 safetensors.",
        "",
        "## Data",
        "Pokémon art (`../shared/datasets/pokemon`, `art/`: official, HOME and Dream World artwork, resized to "
        "128 px) of the species the Pokémon yardstick does **not** hold out (a fixed hash of the Pokédex number, "
        "`genstudio.data.pokemon.is_held_out_species`); the held-out species' art "
        f"({result['images']:,} images of {result['species']} species) is never trained on and is what the "
        "yardstick below measures. Inputs are the art area-down-sampled to 64 px, 30 % of them slightly blurred, "
        f"with a little noise; horizontal flips. {COPYRIGHT}; a research artefact.",
        "",
        "## Training",
        f"- config: `{config_file}`; batch {cfg.get('batch_size')}, Adam lr {cfg.get('lr')}",
        f"- steps: {steps:,}" + (f" of {configured:,} configured" if configured else "")
        + (f"; wall time {hours * 60:.0f} min" if hours else "") + f"; hardware: {facts.get('hardware', '?')}",
        f"- reproduce: `genstudio train upsampler --config {config_file}` (resumes "
        f"`{cfg.get('run_dir') or f'runs/{name}'}/checkpoint.pt` when present; on a new machine it starts again)",
    ]
    if val:
        lines.append(
            f"- training's own validation at this export: PSNR {val['val_psnr']:.2f} dB, bicubic "
            f"{val['bicubic_psnr']:.2f} dB (the first {val['val_images']} held-out images, before rounding to 8 "
            f"bits); the yardstick below measures all {result['images']:,} as 8-bit images, so its numbers differ.")
    lines += [
        "",
        "## Honest notes",
        f"- On held-out art reduced to 64 px it scores {learned['psnr']:.2f} dB PSNR and SSIM {learned['ssim']:.3f} "
        f"({compare(learned, lanczos)}), against Lanczos' {lanczos['psnr']:.2f} dB and {lanczos['ssim']:.3f} and "
        f"bicubic's {bicubic['psnr']:.2f} dB and {bicubic['ssim']:.3f}. Its edges are "
        f"{sharpness_words(learned['sharpness'])} (sharpness {learned['sharpness']:.2f}, Lanczos "
        f"{lanczos['sharpness']:.2f}, bicubic {bicubic['sharpness']:.2f}).",
        "- Those numbers are for real art whose 64 px version is a clean area down-sampling. A generator's 64 px "
        "drawing is not one: it has its own flaws (see the generator's card), and no up-sampler adds detail the "
        "drawing does not have. Generated images have no 128 px truth to measure against, so `samples.png` is the "
        "evidence for them: judge it by eye.",
        "- Most of every image is flat white background that every method gets right, which lifts PSNR and SSIM "
        "for all rows alike; the differences are in the outlines. PSNR and SSIM also favour a cautious blur over a "
        "crisp edge a pixel off: read them beside the sharpness column.",
    ]
    if configured and steps < configured:
        lines.append(f"- Trained {steps:,} of its {configured:,} configured steps"
                     + (f" ({hours * 60:.0f} min)" if hours else "") + ".")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="?", default="pokemon-upsampler")
    ap.add_argument("--generator", default=MODEL, help="the Pokémon model whose drawings samples.png shows")
    ap.add_argument("--data-root", default="../shared/datasets")
    ap.add_argument("--json-out", default=None, help="write the measurement here as JSON")
    ap.add_argument("--record", action="store_true", help="append this measurement to weights/NAME/history.json")
    ap.add_argument("--hours", type=float, default=None, help="with --record: the training's wall time, when "
                    "its config.json has none")
    ap.add_argument("--no-card", action="store_true", help="measure and print only")
    ap.add_argument("--limit", type=int, default=None, help="at most this many held-out images (quick checks)")
    args = ap.parse_args()
    result = measure(args.name, args.data_root, args.limit)
    rows = result["rows"]
    print(format_table(rows, highlight=learned_label(args.name)))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({**result, "rows": jsonable(rows)}, indent=2) + "\n")
    if args.no_card:
        return
    folder = weights.model_dir(args.name)
    history = load_history(folder)
    if args.record:
        history = record(folder, *trained_steps(args.name, args.hours), history_row(args.name, rows),
                         metrics=[k for k, _, _ in HISTORY_METRICS])
    readme = folder / "README.md"
    readme.write_text(card(args.name, args.generator, result, readme.read_text() if readme.is_file() else ""))
    samples(args.name, args.generator, folder / "samples.png")
    parts = [NOTE.format(name=args.name, **result), "", format_table(rows, highlight=learned_label(args.name)), ""]
    write_yardstick(folder, parts, history_table(history, metrics=HISTORY_METRICS) if history else "")
    print(f"{readme}: card written; {folder / 'samples.png'}")


if __name__ == "__main__":
    main()

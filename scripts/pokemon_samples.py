"""The model card's per-type sample grid: one row per type (plus "any"), fixed seeds, generated images only.

    .venv/bin/python scripts/pokemon_samples.py [--model pokemon] [--per-type 6]
"""

from __future__ import annotations

import argparse

from PIL import Image, ImageDraw

from genstudio import weights
from genstudio.data.pokemon import TYPES
from genstudio.imaging import grid
from genstudio.services.pokemon.models import load_pokemon_model


def main() -> None:
    parser = argparse.ArgumentParser(description="per-type sample grid for the model card")
    parser.add_argument("--model", default="pokemon")
    parser.add_argument("--per-type", type=int, default=6)
    parser.add_argument("--sampler", default="dpm++")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--guidance", type=float, default=3.0)
    parser.add_argument("--out", default=None, help="default weights/<model>/samples_by_type.png")
    args = parser.parse_args()
    model = load_pokemon_model(args.model)  # diffusion or GAN
    rows = []
    for t, name in enumerate((*TYPES, "any")):
        seeds = [100 * t + i for i in range(args.per_type)]
        images = model.generate(type_name=name, seeds=seeds, sampler=args.sampler, steps=args.steps,
                                guidance=args.guidance)
        label = Image.new("RGB", images[0].size, "white")
        ImageDraw.Draw(label).text((4, images[0].height // 2 - 6), name, fill="black")
        rows += [label, *images]
    sheet = grid(rows, columns=args.per_type + 1)
    out = args.out or str(weights.model_dir(args.model) / "samples_by_type.png")
    sheet.save(out)
    print(out)


if __name__ == "__main__":
    main()

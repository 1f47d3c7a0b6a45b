"""Memorisation check for the Random Pokémon model: does it copy its training images?

For N samples, find the nearest training image (pixel L2 at 32 px, and in the autoencoder's latent space)
and compare with how close training images are to *each other* (a training image's nearest other training
image: forms, shinies and megas make that small). Writes a side-by-side grid (sample | nearest by pixels |
nearest by latents) to runs/pokemon-memorisation/ — it shows training images, so it is never committed —
and prints the numbers that go into the model card.

    .venv/bin/python scripts/pokemon_memorisation.py [--model pokemon] [--count 32]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genstudio.data.pokemon import load_pokemon
from genstudio.diffusion.metrics import as_vectors, nearest
from genstudio.diffusion.model import PokemonModel
from genstudio.imaging import grid, uint8_to_tensor

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description="nearest training images of generated Pokémon")
    parser.add_argument("--model", default="pokemon")
    parser.add_argument("--count", type=int, default=32)
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--sampler", default="dpm++")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--out", default=str(REPO / "runs" / "pokemon-memorisation"))
    parser.add_argument("--data-root", default=str(REPO.parent / "shared" / "datasets"))
    args = parser.parse_args()
    model = PokemonModel.load(args.model)
    data = load_pokemon(args.data_root, int(model.config.get("image_size", 64)))
    samples = model.generate("any", [args.seed + i for i in range(args.count)], args.sampler, args.steps, 1.0)
    train_pix = as_vectors(data.images)
    idx_pix, d_pix = nearest(as_vectors(samples), train_pix)
    # the same in the autoencoder's latent space (a learned feature distance)
    with torch.no_grad():
        def latents(x: torch.Tensor) -> np.ndarray:
            return torch.cat([model.ae.normalize(model.ae.encode(c)) for c in x.split(128)]).flatten(1).numpy()
        train_lat = latents(uint8_to_tensor(data.images))
        sample_lat = latents(uint8_to_tensor(np.stack([np.asarray(s) for s in samples])))
    idx_lat, d_lat = nearest(sample_lat, train_lat)
    # baseline: training images' distance to their nearest *other* training image
    probe = np.random.default_rng(0).choice(len(train_pix), 256, replace=False)
    _, base_pix = nearest(train_pix[probe], train_pix, exclude_self=True)
    facts = {
        "samples": args.count, "sampler": f"{args.sampler}-{args.steps}",
        "pixel_rms_to_nearest_train": {"min": float(d_pix.min()), "median": float(np.median(d_pix))},
        "train_to_nearest_other_train_pixel_rms": {"min": float(base_pix.min()), "median": float(np.median(base_pix))},
        "latent_rms_to_nearest_train": {"min": float(d_lat.min() / np.sqrt(sample_lat.shape[1])),
                                        "median": float(np.median(d_lat) / np.sqrt(sample_lat.shape[1]))},
        "samples_closer_than_median_train_pair": int((d_pix < np.median(base_pix)).sum()),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cells = []
    for i, s in enumerate(samples):
        cells += [s, Image.fromarray(data.images[idx_pix[i]]), Image.fromarray(data.images[idx_lat[i]])]
    grid(cells, columns=12).save(out / "nearest.png")
    (out / "facts.json").write_text(json.dumps(facts, indent=2) + "\n")
    print(json.dumps(facts, indent=2))
    print(f"grid (sample | nearest by pixels | nearest by latents, 4 triples per row): {out / 'nearest.png'}")


if __name__ == "__main__":
    main()

"""Measure the typical CIE Lab colour of each CelebA hair colour inside genstudio.faces.recolor's hair mask,
on training identities (the values of HAIR_LAB), and save a check grid to runs/ (CelebA: never commit it).

    .venv/bin/python scripts/makeup_hair_colours.py [--n 150]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from genstudio.data.celeba import load_celeba
from genstudio.faces.recolor import hair_mask, to_lab
from genstudio.imaging import grid
from genstudio.stargan.networks import HAIR


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-root", default="../shared/datasets")
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--out", default="runs/makeup-eval")
    args = ap.parse_args()
    data = load_celeba(args.data_root, 128, "train", HAIR)
    tiles = []
    for j, name in enumerate(HAIR):
        idx = np.nonzero((data.labels[:, j] == 1) & (data.labels.sum(1) == 1))[0][: args.n]
        values = []
        for i in idx:
            crop = data.images[i]
            mask = hair_mask(crop)
            lab = to_lab(crop)
            if (mask > 0.5).sum() > 50:
                values.append(np.median(lab[mask > 0.5], axis=0))
            if len(tiles) < 8 * (j + 1) and i == idx[min(len(tiles) - 8 * j, len(idx) - 1)]:
                shown = (crop * (0.3 + 0.7 * mask[..., None])).astype(np.uint8)
                tiles.append(Image.fromarray(shown))
        med = np.median(np.array(values), axis=0)
        print(f'    "{name}": ({med[0]:.1f}, {med[1]:.1f}, {med[2]:.1f}),  # {len(values)} faces')
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grid(tiles, columns=8).save(out / "hair_masks.png")
    print(f"masks: {out / 'hair_masks.png'} (CelebA images: do not commit)")


if __name__ == "__main__":
    main()

"""The Pokémon up-sampler's yardstick (genstudio/yardstick/upsampling.py) and its card script
(scripts/pokemon_upsampler_card.py), on outlined shapes drawn here (no dataset image) and tiny random models."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from genstudio import weights
from genstudio.data.pokemon import is_held_out_species
from genstudio.services.pokemon.pipeline import display
from genstudio.services.resolution import Upsampling
from genstudio.upsampler.networks import bicubic2x
from genstudio.yardstick.upsampling import (
    REFERENCE,
    area_half,
    format_table,
    jsonable,
    measure_2x,
    network,
    per_image,
    quality,
)

from ..person.conftest import TINY_UP, tiny_upsampler
from .conftest import install_tiny

REPO = Path(__file__).resolve().parents[2]


def drawings(n: int = 4, size: int = 128, seed: int = 0) -> np.ndarray:
    """Art-like images: coloured shapes with dark outlines on white, uint8 [n, size, size, 3]."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        im = Image.new("RGB", (size, size), "white")
        draw = ImageDraw.Draw(im)
        for _ in range(5):
            x, y = rng.integers(8, size - 40, 2)
            w, h = rng.integers(16, 36, 2)
            fill = tuple(int(c) for c in rng.integers(40, 240, 3))
            draw.ellipse((int(x), int(y), int(x + w), int(y + h)), fill=fill, outline=(20, 20, 30), width=2)
        out.append(np.asarray(im))
    return np.stack(out)


def blurred(fn):
    """fn followed by a 3×3 box blur: the same enlargement, softer."""
    return lambda x: F.avg_pool2d(F.pad(fn(x), (1, 1, 1, 1), mode="replicate"), 3, 1)


def test_the_real_images_are_the_ceiling_and_blur_loses_sharpness_and_psnr():
    real = drawings()
    methods = {"bicubic": network(bicubic2x), "bicubic, blurred": network(blurred(bicubic2x)),
               "Lanczos": per_image(display)}
    rows = measure_2x(real, methods)
    assert list(rows) == [REFERENCE, *methods]
    ceiling = rows[REFERENCE]
    assert math.isinf(ceiling["psnr"]) and ceiling["ssim"] == pytest.approx(1.0) and ceiling["sharpness"] == 1.0
    sharp, soft = rows["bicubic"], rows["bicubic, blurred"]
    assert soft["sharpness"] < sharp["sharpness"] < 1.0  # enlarging from half size blurs; the box blur more
    assert soft["psnr"] < sharp["psnr"] < 60 and soft["ssim"] < sharp["ssim"] < 1.0
    assert rows["Lanczos"]["sharpness"] < 1.0

    crisp = quality(np.clip(real.astype(int) * 2 - 128, 0, 255).astype(np.uint8), real)  # more contrast
    assert crisp["sharpness"] > 1.0  # the ratio is not capped at the real images' sharpness

    assert measure_2x(real, methods) == rows  # deterministic
    table = format_table(rows, highlight="bicubic")
    assert f"| {REFERENCE} | ∞ | 1.0000 | 1.000 |" in table and "| **bicubic** |" in table
    assert jsonable(rows)[REFERENCE]["psnr"] is None and json.dumps(jsonable(rows))


def test_the_learned_row_measures_what_the_page_shows():
    real = drawings(2)
    small = area_half(real)
    assert small.shape == (2, 64, 64, 3) and small.dtype == np.uint8
    up = tiny_upsampler()
    page = Upsampling("pokemon-upsampler", up).images([Image.fromarray(a) for a in small])
    assert np.array_equal(network(up)(small), np.stack([np.asarray(im) for im in page]))
    assert np.array_equal(per_image(display)(small), np.stack([np.asarray(display(Image.fromarray(a)))
                                                               for a in small]))
    with pytest.raises(ValueError, match="shape"):
        quality(small, real)


def write_art(root: Path) -> int:
    """A stand-in for ../shared/datasets/pokemon: drawn art of three held-out species and two trained ones."""
    held = [d for d in range(1, 200) if is_held_out_species(d)][:3]
    kept = [d for d in range(1, 200) if not is_held_out_species(d)][:2]
    (root / "pokemon" / "art").mkdir(parents=True)
    rows = []
    for i, (dex, im) in enumerate(zip(held + kept, drawings(5, seed=1), strict=True)):
        name = f"art/official_{i:04d}.png"
        Image.fromarray(im).save(root / "pokemon" / name)
        rows.append({"file": name, "subset": "art", "source": "official", "pokedex_id": dex, "species": f"s{dex}",
                     "form": "", "shiny": 0, "type1": "fire", "type2": "", "origin": ""})
    with open(root / "pokemon" / "labels.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(held)


def test_the_card_script_measures_keeps_notes_and_records(tmp_path, monkeypatch, capsys):
    held = write_art(tmp_path / "data")
    root = tmp_path / "weights"
    install_tiny(root)  # the tiny latent diffusion under the default's name (32 px)
    facts = {"steps": 120, "wall_time_s": 600.0, "hardware": "CPU (test)",
             "config": {"name": "pokemon-upsampler", "steps": 4000, "batch_size": 16, "lr": 2e-4, "ema_decay": 0.999,
                        "run_dir": "runs/pokemon-upsampler/run", "optim": {"adv_weight": 0.01, "adv_from": 1000}},
             "validation": {"val_psnr": 25.0, "bicubic_psnr": 22.0, "val_images": 120}}
    up = tiny_upsampler()
    weights.save(root / "pokemon-upsampler", {f"upsampler.{k}": v for k, v in up.state_dict().items()},
                 {**TINY_UP, "training": facts}, half=False)
    folder = root / "pokemon-upsampler"
    (folder / "README.md").write_text("# old\n\n<!-- notes -->\nLooked at by hand.\n<!-- /notes -->\n\nold text\n")
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(root))
    monkeypatch.setenv("GENSTUDIO_CACHE", str(tmp_path / "cache"))
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import pokemon_upsampler_card as script
    finally:
        sys.path.remove(str(REPO / "scripts"))

    out = tmp_path / "rows.json"
    for seed in (1, 2):
        monkeypatch.setattr(sys, "argv", ["pokemon_upsampler_card.py", "--data-root", str(tmp_path / "data"),
                                          "--json-out", str(out), "--record", "--hours", "1.5"])
        torch.manual_seed(seed)  # whatever the global seed, the same numbers and samples
        script.main()
        if seed == 1:
            first = (folder / "samples.png").read_bytes()
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["images"] == held and result["species"] == held and result["steps"] == 120
    learned = result["rows"][script.learned_label("pokemon-upsampler")]
    assert result["rows"]["real 128 px art (itself)"]["psnr"] is None and 0 < learned["psnr"] < 100
    assert f"| **pokemon-upsampler 2× (the page at 2×)** | {learned['psnr']:.2f} |" in printed

    history = json.loads((folder / "history.json").read_text())
    assert len(history) == 2 and history[0]["steps"] == 120 and history[0]["wall_time_h"] == 1.5
    assert history[0]["psnr"] == round(learned["psnr"], 4) and history[0] == history[1]  # same numbers again
    assert history[0]["lanczos_sharpness"] == round(result["rows"][script.LANCZOS]["sharpness"], 4)

    card = (folder / "README.md").read_text()
    assert "<!-- notes -->\nLooked at by hand.\n<!-- /notes -->" in card and "old text" not in card
    assert card.count("## Yardstick") == 1 and card.count("### History") == 1
    assert "| date | steps | wall time (h) | PSNR ↑ | SSIM ↑ | sharpness |" in card
    assert "steps: 120 of 4,000 configured; wall time 10 min" in card
    assert "genstudio train upsampler --config configs/pokemon-upsampler-cpu.yaml" in card
    assert "© Nintendo / Creatures Inc. / GAME FREAK inc. / The Pokémon Company" in card
    assert (folder / "samples.png").read_bytes() == first
    row = (8 * (64 + 2) + 2, 64 + 2 * 2)  # 8 generated 32 px drawings shown at 64 px, 2 px apart
    with Image.open(folder / "samples.png") as im:  # nearest, Lanczos, learned: 3 rows, 4 px apart
        assert im.size == (row[0] + 2 * 4, 3 * (row[1] + 4) + 4)

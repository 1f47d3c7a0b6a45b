"""The model card written beside exported Pokémon GAN weights (facts of the run); the yardstick section is
added by scripts/pokemon_yardstick.py, and a hand-written `<!-- notes -->` section survives re-exports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

NOTES = re.compile(r"<!-- notes -->.*?<!-- /notes -->", re.S)
YARDSTICK = re.compile(r"<!-- yardstick -->.*?<!-- /yardstick -->", re.S)


def model_card(name: str, facts: dict[str, Any], config: dict[str, Any], old: str = "") -> str:
    cfg = facts["config"]
    m, o, d = cfg["model"], cfg["optim"], cfg["data"]
    notes = NOTES.search(old)
    yardstick = YARDSTICK.search(old)
    lines = [
        f"# {name} — Random Pokémon: type-conditioned FastGAN-style GAN",
        "",
        "Research artefact trained on Pokémon artwork (© Nintendo / Creatures Inc. / GAME FREAK inc. / The Pokémon",
        "Company) from `../shared/datasets/pokemon` (`art/`, 3,302 images); the images are not in this repository.",
        "",
        notes.group(0) if notes else "<!-- notes -->\n(no notes yet)\n<!-- /notes -->",
        "",
        "## Model",
        f"- generator: z {config['z_dim']} + an 18-type embedding, up-sampling GLU blocks with noise injection and "
        f"skip-layer excitation (4→32, 8→64 px), width {config['width']}, {config['resolution']} px output",
        f"- discriminator: residual strided blocks with spectral norm, width {m.get('d_width', 32)}, projection head "
        "for the type, self-supervised decoder reconstructing the real image from its 8×8 features",
        f"- loss: hinge; DiffAugment `{d.get('diffaugment', 'colour,translation,cutout')}` on real and fake; "
        f"reconstruction weight {o.get('recon_weight', 1.0)}; Adam lr {cfg['lr']}, "
        f"betas {o.get('betas', [0.5, 0.999])}",
        f"- the shipped generator is the EMA copy (decay {cfg['ema_decay']}); a dual-type creature is labelled with "
        "either of its types at random, so both types draw it; \"any\" draws a type per seed",
        "",
        "## Training",
        f"- config: `configs/{name}-cpu.yaml`; reproduce: "
        f"`genstudio train pokemon-gan --config configs/{name}-cpu.yaml`",
        f"- steps: {facts['steps']:,} at batch {cfg['batch_size']}; wall time: {facts['wall_time_s'] / 3600:.2f} h; "
        f"hardware: {facts['hardware']} (shared with other trainings and test runs)",
        "- `samples.png`: 36 fixed seeds, the types in order (row-major); `samples_by_type.png`: rows per type "
        "(`scripts/pokemon_samples.py --model NAME`)",
        "",
    ]
    if yardstick:
        lines += [yardstick.group(0), ""]
    return "\n".join(lines)


def write_card(folder: Path, name: str, facts: dict[str, Any], config: dict[str, Any]) -> None:
    card = folder / "README.md"
    old = card.read_text() if card.is_file() else ""
    card.write_text(model_card(name, facts, config, old))

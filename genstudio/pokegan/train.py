"""PokemonGanTask (`genstudio train pokemon-gan`): FastGAN-style hinge GAN on the Pokémon art.

Per step: one discriminator update (hinge loss on DiffAugment-ed real and fake images, plus the L1
reconstruction of real images from D's 8×8 features) and one generator update. The type label of a
dual-type creature is its first or second type at random, so either type draws it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from PIL import Image

from ..data.pokemon import TYPES, load_pokemon
from ..imaging import grid, to_pil, uint8_to_tensor
from ..training.loop import TrainConfig, TrainTask
from ..training.sections import as_dict
from ..weights import save as save_weights
from ..wgan.facts import training_facts
from ..wgan.latent import z_for_seeds
from .augment import diff_augment
from .card import write_card
from .model import generator_config
from .networks import Discriminator, Generator

GRID_TYPES = [TYPES[i % len(TYPES)] for i in range(36)]


@dataclass(frozen=True)
class GanModel:
    z_dim: int = 128
    width: int = 32  # generator channels at 64 px (×8 at 4–8 px)
    d_width: int = 32
    resolution: int = 64


@dataclass(frozen=True)
class GanOptim:
    betas: list[float] = field(default_factory=lambda: [0.5, 0.999])
    lr_g: float | None = None  # default: the config's lr
    lr_d: float | None = None
    recon_weight: float = 1.0  # the discriminator's self-supervised reconstruction loss


@dataclass(frozen=True)
class GanData:
    subset: str = "art"
    limit: int | None = None
    diffaugment: str = "colour,translation,cutout"


class PokemonGanTask(TrainTask):
    Model, Optim, Data = GanModel, GanOptim, GanData

    def __init__(self, cfg: TrainConfig, accelerator: Accelerator):
        super().__init__(cfg, accelerator)
        m, o, d_cfg = self.opts.model, self.opts.optim, self.opts.data
        self.model_cfg = generator_config(as_dict(m))
        g = Generator(m.z_dim, m.width, m.resolution)
        d = Discriminator(m.d_width, m.resolution)
        self.register_adversarial(g, d, "discriminator", o.lr_g or cfg.lr, o.lr_d or cfg.lr, (o.betas[0], o.betas[1]))
        self.policy = d_cfg.diffaugment
        self.recon_weight = o.recon_weight
        data = load_pokemon(cfg.data_root, size=m.resolution, subset=d_cfg.subset, limit=d_cfg.limit)
        self.images, self.type1, self.type2 = data.images, data.type1, data.type2
        self.rng = np.random.default_rng(cfg.seed)

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        b = self.cfg.batch_size
        while True:
            order = self.rng.permutation(len(self.images))
            for i in range(0, len(order) - b + 1, b):
                idx = order[i:i + b]
                x = self.images[idx]
                flip = self.rng.random(b) < 0.5
                x = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
                second = (self.type2[idx] >= 0) & (self.rng.random(b) < 0.5)
                types = np.where(second, self.type2[idx], self.type1[idx])
                yield uint8_to_tensor(np.ascontiguousarray(x)).to(self.device), torch.from_numpy(types).to(self.device)

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor], step: int) -> dict[str, float]:
        real, types = batch
        g, d = self.modules["generator"], self.modules["discriminator"]
        opt_g, opt_d = self.optimizers["generator"], self.optimizers["discriminator"]
        z = torch.randn(real.shape[0], self.model_cfg["z_dim"], device=self.device)
        fake = g(z, types)

        real_logits, recon = d(diff_augment(real, self.policy), types, reconstruct=True)
        fake_logits, _ = d(diff_augment(fake.detach(), self.policy), types)
        target = F.interpolate(real, size=recon.shape[-2:], mode="area")  # type: ignore[union-attr]
        recon_loss = F.l1_loss(recon, target)  # type: ignore[arg-type]
        loss_d = F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean() + self.recon_weight * recon_loss
        opt_d.zero_grad(set_to_none=True)
        self.accelerator.backward(loss_d)
        opt_d.step()

        gen_logits, _ = d(diff_augment(fake, self.policy), types)
        loss_g = -gen_logits.mean()
        opt_g.zero_grad(set_to_none=True)
        self.accelerator.backward(loss_g)
        opt_g.step()
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item(), "recon": recon_loss.item(),
                "d_real": real_logits.mean().item(), "d_fake": fake_logits.mean().item()}

    @torch.no_grad()
    def sample_grid(self, step: int) -> Image.Image:
        g = self.sampling_module("generator")
        z = z_for_seeds(range(len(GRID_TYPES)), self.model_cfg["z_dim"])
        types = torch.tensor([TYPES.index(t) for t in GRID_TYPES])
        noise = [torch.Generator().manual_seed(s) for s in range(len(GRID_TYPES))]
        return grid(to_pil(g(z, types, noise)), columns=9)

    def export(self, folder: Path, step: int) -> dict[str, Any]:
        facts = training_facts(self.cfg, step)
        state = {f"generator.{k}": v for k, v in self.sampling_module("generator").state_dict().items()}
        save_weights(folder, state, {**self.model_cfg, "training": facts})
        write_card(folder, self.cfg.name, facts, self.model_cfg)
        return facts

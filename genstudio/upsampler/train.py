"""UpsamplerTask (`genstudio train upsampler`): 64 → 128 px super-resolution on the sharp CelebA photos
(`data.dataset: celeba`, for the virtual person) or the Pokémon art (`data.dataset: pokemon`).

Low-resolution inputs are the 128 px photos area-down-sampled to 64 (with a little blur and noise now and
then, since generated faces are not clean down-samplings); the loss is L1 to the 128 px photo plus a small
hinge-adversarial term from a patch critic (SRGAN's recipe, scaled down), which puts back the texture that
L1 alone averages away. Validation: PSNR against the photos of held-out identities, beside bicubic's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from PIL import Image

from ..data.celeba import load_celeba
from ..imaging import grid, to_pil, uint8_to_tensor
from ..training.critics import PatchCritic, hinge_critic_loss
from ..training.loop import TrainConfig, TrainTask
from ..weights import save as save_weights
from ..wgan.facts import training_facts
from .networks import Upsampler


def degrade(hr: torch.Tensor, generator: torch.Generator | None = None, blur_p: float = 0.3,
            noise: float = 0.02) -> torch.Tensor:
    """128 px [-1, 1] -> 64 px input: area down-sampling, sometimes a slight blur, a little noise."""
    lr = F.avg_pool2d(hr, 2)
    n = lr.shape[0]
    if blur_p > 0:
        soft = F.avg_pool2d(F.pad(lr, (1, 1, 1, 1), mode="replicate"), 3, 1) * 0.5 + lr * 0.5
        pick = (torch.rand(n, 1, 1, 1, generator=generator) < blur_p).to(lr)
        lr = pick * soft + (1 - pick) * lr
    if noise > 0:
        lr = lr + torch.randn(lr.shape, generator=generator) * noise * torch.rand(n, 1, 1, 1, generator=generator)
    return lr.clamp(-1, 1)


def training_images(data_root: str, dataset: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) uint8 images at 128 px: CelebA's sharp photos split by identity, or the Pokémon
    art split by species (the yardstick's held-out species are the validation images)."""
    if dataset == "pokemon":
        from ..data.pokemon import is_held_out_species, load_pokemon

        art = load_pokemon(data_root, size=128, subset="art", limit=limit)
        held = np.array([is_held_out_species(d) for d in art.dex], dtype=bool)
        return art.images[~held], art.images[held]
    if dataset != "celeba":
        raise ValueError(f"data.dataset must be celeba or pokemon, not {dataset!r}")
    train = load_celeba(data_root, size=128, split="train", limit=limit, sharp_only=True)
    val = load_celeba(data_root, size=128, split="val", limit=limit, sharp_only=True)
    return train.images, val.images


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = ((a - b) / 2).pow(2).mean().clamp_min(1e-10)
    return float(10 * torch.log10(1 / mse))


@dataclass(frozen=True)
class UpsamplerModel:
    width: int = 32
    blocks: int = 4
    critic_width: int = 32


@dataclass(frozen=True)
class UpsamplerOptim:
    adv_weight: float = 0.01  # the patch critic's term beside L1
    adv_from: int = 500  # L1 alone first: the critic then judges faces, not noise


@dataclass(frozen=True)
class UpsamplerData:
    dataset: str = "celeba"  # or "pokemon"
    limit: int | None = None
    val_images: int = 120


class UpsamplerTask(TrainTask):
    Model, Optim, Data = UpsamplerModel, UpsamplerOptim, UpsamplerData

    def __init__(self, cfg: TrainConfig, accelerator: Accelerator):
        super().__init__(cfg, accelerator)
        m, o, d_cfg = self.opts.model, self.opts.optim, self.opts.data
        self.model_cfg = {"family": "upsampler", "width": m.width, "blocks": m.blocks, "scale": 2}
        g, d = Upsampler(m.width, m.blocks), PatchCritic(m.critic_width)
        betas = (0.9, 0.999)
        opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=betas)
        opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=betas)
        g, d, opt_g, opt_d = accelerator.prepare(g, d, opt_g, opt_d)
        self.modules = {"upsampler": g, "critic": d}
        self.optimizers = {"upsampler": opt_g, "critic": opt_d}
        self.ema_modules = ["upsampler"]
        self.adv_weight, self.adv_from = o.adv_weight, o.adv_from
        self.images, val = training_images(cfg.data_root, d_cfg.dataset, d_cfg.limit)
        self.val = uint8_to_tensor(val[: d_cfg.val_images])
        self.rng = np.random.default_rng(cfg.seed)
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self._metrics: dict[str, float] | None = None

    def batches(self) -> Iterator[torch.Tensor]:
        b = self.cfg.batch_size
        while True:
            idx = self.rng.choice(len(self.images), b, replace=False)
            x = self.images[idx]
            flip = self.rng.random(b) < 0.5
            x = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
            yield uint8_to_tensor(np.ascontiguousarray(x)).to(self.device)

    def train_step(self, hr: torch.Tensor, step: int) -> dict[str, float]:
        g, d = self.modules["upsampler"], self.modules["critic"]
        opt_g, opt_d = self.optimizers["upsampler"], self.optimizers["critic"]
        lr = degrade(hr.cpu(), self.generator).to(self.device)
        sr = g(lr)
        logs = {"loss_d": 0.0}  # same CSV columns before and after the critic joins
        adversarial = step >= self.adv_from and self.adv_weight > 0
        if adversarial:
            loss_d = hinge_critic_loss(d, hr, sr)
            opt_d.zero_grad(set_to_none=True)
            self.accelerator.backward(loss_d)
            opt_d.step()
            logs["loss_d"] = loss_d.item()
        l1 = (sr - hr).abs().mean()
        loss = l1 - self.adv_weight * d(sr).mean() if adversarial else l1
        opt_g.zero_grad(set_to_none=True)
        self.accelerator.backward(loss)
        opt_g.step()
        self._metrics = None
        return {"l1": l1.item(), **logs}

    @torch.no_grad()
    def metrics(self) -> dict[str, float]:
        if self._metrics is None:
            g = self.sampling_module("upsampler").eval()
            lr = F.avg_pool2d(self.val, 2)
            bicubic = F.interpolate(lr, scale_factor=2, mode="bicubic", align_corners=False).clamp(-1, 1)
            self._metrics = {"val_psnr": psnr(g(lr), self.val), "bicubic_psnr": psnr(bicubic, self.val),
                             "val_images": len(self.val)}
        return self._metrics

    @torch.no_grad()
    def sample_grid(self, step: int) -> Image.Image:
        """Held-out faces: 64 px input (shown 2× nearest), bicubic, the up-sampler, the photo (runs/ only)."""
        g = self.sampling_module("upsampler").eval()
        hr = self.val[:6]
        lr = F.avg_pool2d(hr, 2)
        cols = [F.interpolate(lr, scale_factor=2, mode="nearest"),
                F.interpolate(lr, scale_factor=2, mode="bicubic", align_corners=False).clamp(-1, 1), g(lr), hr]
        return grid([im for row in zip(*[to_pil(c) for c in cols], strict=True) for im in row], columns=4)

    def export_grid(self, step: int) -> Image.Image:
        """The committed grid must not show CelebA photos: a text card with the PSNR instead (the card script
        draws generated faces before and after)."""
        from PIL import ImageDraw

        m = self.metrics()
        im = Image.new("RGB", (420, 40), "white")
        ImageDraw.Draw(im).text((8, 12), f"held-out PSNR {m['val_psnr']:.2f} dB (bicubic {m['bicubic_psnr']:.2f} dB)",
                                fill="black")
        return im

    def export(self, folder: Path, step: int) -> dict[str, Any]:
        facts = training_facts(self.cfg, step, validation=self.metrics())
        tensors = {f"upsampler.{k}": v for k, v in self.sampling_module("upsampler").state_dict().items()}
        save_weights(folder, tensors, {**self.model_cfg, "training": facts})
        return facts

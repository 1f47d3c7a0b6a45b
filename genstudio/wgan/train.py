"""WganTask: the WGAN-GP training step for the shared loop (`genstudio train person --config ...`).

Gulrajani et al.'s recipe: n_critic critic updates per generator update, gradient penalty lambda=10,
Adam(1e-4, betas=(0, 0.9)) for both networks. The loop adds EMA of the generator, resume, grids and export.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from accelerate import Accelerator
from PIL import Image
from torch import nn

from ..data.celeba import load_celeba
from ..imaging import grid, to_pil, uint8_to_tensor
from ..training.loop import TrainConfig, TrainTask
from ..training.sections import as_dict
from ..weights import load as load_weights
from ..weights import save as save_weights
from .facts import training_facts
from .latent import z_for_seeds
from .networks import Critic, Generator, GrownCritic, GrownGenerator, gradient_penalty

GRID_SEEDS = list(range(64))


def build_networks(model: dict[str, Any]) -> tuple[Generator | GrownGenerator, Critic | GrownCritic]:
    """The generator and critic a model section describes; with `grow`, both grown to 2× the resolution."""
    g = Generator(int(model.get("z_dim", 128)), int(model.get("width", 32)), int(model.get("resolution", 64)))
    d = Critic(int(model.get("critic_width", model.get("width", 32))), int(model.get("resolution", 64)),
               str(model.get("critic_norm", "none")))
    grow = model.get("grow")
    if grow:
        return GrownGenerator(g, int(grow.get("width", 48))), GrownCritic(d, int(grow.get("critic_width", 24)))
    return g, d


def generator_config(model: dict[str, Any]) -> dict[str, Any]:
    """What genstudio.wgan.model.build_generator needs to rebuild the shipped generator."""
    config = {
        "family": "person",
        "z_dim": int(model.get("z_dim", 128)),
        "width": int(model.get("width", 32)),
        "resolution": int(model.get("resolution", 64)),
    }
    grow = model.get("grow")
    if grow:
        config.update(base_resolution=config["resolution"], resolution=2 * config["resolution"],
                      grow_width=int(grow.get("width", 48)))
    return config


def sampling_weights(labels: np.ndarray, attributes: tuple[str, ...], oversample: dict[str, float]) -> np.ndarray:
    """Per-image sampling probabilities: an image with attribute A is drawn oversample[A] times as often.

    Why: a GAN trained for a few thousand steps drops rare modes first; CelebA has glasses on 6 % of faces and
    an early generator draws them on under 1 %, too few for the explorer's glasses direction and arithmetic.
    """
    w = np.ones(len(labels))
    for name, factor in oversample.items():
        if name not in attributes:
            raise ValueError(f"oversample: unknown attribute {name!r}")
        w *= np.where(labels[:, attributes.index(name)] > 0.5, float(factor), 1.0)
    return w / w.sum()


@dataclass(frozen=True)
class Grow:
    """Progressive growing to twice the base resolution (see GrownGenerator / GrownCritic)."""

    width: int = 48  # channels of the generator's new block
    critic_width: int = 24  # channels of the critic's new front
    fade_steps: int = 2000  # steps over which the new layers fade in


@dataclass(frozen=True)
class WganModel:
    z_dim: int = 128
    width: int = 32
    critic_width: int | None = None  # default: width
    critic_norm: str = "none"  # or "layer" (never batch norm: it breaks the gradient penalty)
    resolution: int = 64  # of the base network (the output is twice that when grown)
    grow: Grow | None = None


@dataclass(frozen=True)
class WganOptim:
    betas: list[float] = field(default_factory=lambda: [0.0, 0.9])
    n_critic: int = 5
    gp_lambda: float = 10.0
    lr_g: float | None = None  # default: the config's lr
    lr_d: float | None = None


@dataclass(frozen=True)
class WganData:
    split: str = "all"
    flip: bool = True
    oversample: dict = field(default_factory=dict)  # attribute -> how many times as often
    limit: int | None = None


@dataclass(frozen=True)
class WganExtra:
    init_from: str = ""  # shipped weights to continue from (or to grow from)


class WganTask(TrainTask):
    Model, Optim, Data, Extra = WganModel, WganOptim, WganData, WganExtra

    def __init__(self, cfg: TrainConfig, accelerator: Accelerator):
        super().__init__(cfg, accelerator)
        m, o, d_cfg = self.opts.model, self.opts.optim, self.opts.data
        self.model_cfg = {k: v for k, v in as_dict(m).items() if v is not None}
        self.n_critic, self.gp_lambda = o.n_critic, o.gp_lambda
        betas = (o.betas[0], o.betas[1])
        g, d = build_networks(self.model_cfg)
        if self.opts.extra.init_from:
            self._init_from(self.opts.extra.init_from, g, d)
        self.register_adversarial(g, d, "critic", o.lr_g or cfg.lr, o.lr_d or cfg.lr, betas)
        self.z_dim = m.z_dim
        self.flip = d_cfg.flip
        self.fade_steps = m.grow.fade_steps if m.grow else 0
        data = load_celeba(cfg.data_root, size=generator_config(self.model_cfg)["resolution"], split=d_cfg.split,
                           limit=d_cfg.limit)
        self.images = data.images
        self.weights = sampling_weights(data.labels, data.attributes, d_cfg.oversample)
        self.rng = np.random.default_rng(cfg.seed + accelerator.process_index)

    def _init_from(self, name: str, g: nn.Module, d: nn.Module) -> None:
        """Continue from shipped weights (weights/<name>/): live G and critic from the training copies,
        the EMA generator seeded by the shipped one (the loop's init_ema, for a fresh run).
        A grown model starts from a base model's weights: they go into its base, the new layers start fresh
        and fade in, and the EMA starts as that live network."""
        loaded = load_weights(name)

        def part(prefix: str) -> dict[str, torch.Tensor]:
            return {k[len(prefix):]: v.float() for k, v in loaded.tensors.items() if k.startswith(prefix)}
        grown = isinstance(g, GrownGenerator) and loaded.config.get("resolution") == g.base.resolution
        g_target, d_target = (g.base, d.base) if grown else (g, d)  # type: ignore[union-attr]
        g_target.load_state_dict(part("train.generator.") or part("generator."))
        if part("train.critic."):
            d_target.load_state_dict(part("train.critic."))
        if not grown:
            self.init_ema = {"generator": part("generator.")}
        else:
            g.alpha.fill_(0.0)  # type: ignore[union-attr]
            d.alpha.fill_(0.0)  # type: ignore[union-attr]

    def batches(self) -> Iterator[torch.Tensor]:
        per_step = self.n_critic * self.cfg.batch_size
        while True:
            idx = self.rng.choice(len(self.images), per_step, p=self.weights)
            arr = self.images[idx]
            if self.flip:
                flip = self.rng.random(per_step) < 0.5
                arr = arr.copy()
                arr[flip] = arr[flip, :, ::-1]
            x = uint8_to_tensor(np.ascontiguousarray(arr)).to(self.device)
            yield x.view(self.n_critic, self.cfg.batch_size, *x.shape[1:])

    def _z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.z_dim, device=self.device)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        g, d = self.modules["generator"], self.modules["critic"]
        opt_g, opt_d = self.optimizers["generator"], self.optimizers["critic"]
        acc = self.accelerator
        alpha = min(1.0, step / self.fade_steps) if self.fade_steps else 1.0
        if self.fade_steps:  # progressive growing: the new layers fade in linearly over fade_steps
            for module in (acc.unwrap_model(g), acc.unwrap_model(d)):
                module.alpha.fill_(alpha)
        # Under DDP (accelerate launch / torchrun) the wrapped critic runs once per backward (real and fake in
        # one batch); the gradient penalty's double backward and the generator step go through the unwrapped
        # modules, whose gradients still land in the same .grad tensors that DDP all-reduces.
        g_plain, d_plain = acc.unwrap_model(g), acc.unwrap_model(d)
        g.requires_grad_(False)
        d.requires_grad_(True)
        for real in batch:
            with torch.no_grad():
                fake = g_plain(self._z(real.shape[0]))
            scores = d(torch.cat([real, fake]))
            d_real, d_fake = scores[: real.shape[0]].mean(), scores[real.shape[0]:].mean()
            gp = gradient_penalty(d_plain, real, fake)
            loss_d = d_fake - d_real + self.gp_lambda * gp
            opt_d.zero_grad(set_to_none=True)
            acc.backward(loss_d)
            opt_d.step()
        g.requires_grad_(True)
        d.requires_grad_(False)
        loss_g = -d_plain(g(self._z(self.cfg.batch_size))).mean()
        opt_g.zero_grad(set_to_none=True)
        acc.backward(loss_g)
        opt_g.step()
        d.requires_grad_(True)
        logs = {"loss_d": loss_d.item(), "wdist": (d_real - d_fake).item(), "gp": gp.item(), "loss_g": loss_g.item()}
        return {**logs, "alpha": alpha} if self.fade_steps else logs

    @torch.no_grad()
    def sample_grid(self, step: int) -> Image.Image:
        g = self.sampling_module("generator")
        was_training = g.training
        g.eval()
        z = z_for_seeds(GRID_SEEDS, self.z_dim).to(self.device)
        images = to_pil(g(z))
        g.train(was_training)
        return grid(images, columns=8)

    def export(self, folder: Path, step: int) -> dict[str, Any]:
        unwrap = self.accelerator.unwrap_model
        tensors = {f"generator.{k}": v for k, v in self.sampling_module("generator").state_dict().items()}
        tensors.update({f"train.generator.{k}": v for k, v in unwrap(self.modules["generator"]).state_dict().items()})
        tensors.update({f"train.critic.{k}": v for k, v in unwrap(self.modules["critic"]).state_dict().items()})
        facts = training_facts(self.cfg, step, n_critic=self.n_critic, gp_lambda=self.gp_lambda)
        config = {**generator_config(self.model_cfg), "critic": {
            "width": int(self.model_cfg.get("critic_width", self.model_cfg.get("width", 32))),
            "norm": str(self.model_cfg.get("critic_norm", "none"))}, "training": facts}
        save_weights(folder, tensors, config)
        return facts

    def extra_state(self) -> dict[str, Any]:
        return {"data_rng": self.rng.bit_generator.state}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        if "data_rng" in state:
            self.rng.bit_generator.state = state["data_rng"]

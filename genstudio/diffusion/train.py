"""Training tasks for the shared loop: the first-stage autoencoder and the latent diffusion U-Net.

`genstudio train pokemon-autoencoder --config configs/pokemon-autoencoder-cpu.yaml` then
`genstudio train pokemon --config configs/pokemon-cpu.yaml`. Both read the artwork from cfg.data_root,
keep it pre-resized in memory and augment whole batches at once (genstudio.diffusion.augment).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from PIL import Image

from ..data.pokemon import ANY, STYLES, TYPES, load_pokemon
from ..imaging import grid, to_pil, uint8_to_tensor
from ..training.critics import PatchCritic, hinge_critic_loss
from ..training.loop import TrainConfig, TrainTask
from ..training.sections import as_dict
from ..weights import load as load_weights
from ..weights import save as save_weights
from .augment import Augment
from .autoencoder import Autoencoder, load_autoencoder
from .card import write_card
from .unet import NUM_CLASSES, class_label, unet_state


def warmup_lambda(warmup: int, decay_from: int | None = None, steps: int = 0,
                  floor: float = 0.1, start: int = 0) -> Callable[[int], float]:
    """LR multiplier: linear warm-up over `warmup` steps, then constant; with `decay_from`, a linear decay from
    that step down to `floor` at `steps` (a plateaued run sharpens its samples at a lower rate). The schedule is
    a plain function of the step, so a resumed run may change it in its config. A run that continues shipped
    weights from step `start` warms up again from there (its optimiser state starts empty)."""

    def rule(step: int) -> float:
        since = step - start if step >= start else step
        rate = min(1.0, (since + 1) / max(1, warmup))
        if decay_from is not None and step >= decay_from:
            done = min(1.0, (step - decay_from) / max(1, steps - decay_from))
            rate *= 1.0 - (1.0 - floor) * done
        return rate

    return rule


def lr_rule(optim: AutoencoderOptim | DiffusionOptim, cfg: TrainConfig) -> Callable[[int], float]:
    """The rule of a config's `optim` (warmup, decay_from, lr_floor) over its `steps`, from its start_step."""
    return warmup_lambda(optim.warmup, optim.decay_from, cfg.steps, optim.lr_floor, cfg.start_step)


@dataclass(frozen=True)
class AutoencoderModel:
    image_size: int = 64
    channels: list[int] = field(default_factory=lambda: [48, 96])
    latent_channels: int = 4
    blocks: int = 1
    out_channels: int = 32
    groups: int = 8


@dataclass(frozen=True)
class AutoencoderOptim:
    warmup: int = 100
    decay_from: int | None = None  # linear decay to lr_floor × lr from this step to the last
    lr_floor: float = 0.1
    weight_decay: float = 0.0
    latent_noise: float = 0.1  # noise added to the latent in training (diffusion errors then decode cleanly)
    latent_l2: float = 1e-3  # a light pull of the latent towards 0
    mse_weight: float = 1.0  # beside L1
    train_only: str | None = None  # "decoder": fine-tune the decoder of extra.init_from, keep its latent space
    adv_weight: float = 0.0  # > 0: a patch critic's hinge term beside L1 + MSE (sharp edges, not averages)
    adv_from: int = 0  # reconstruction alone before this step
    critic_width: int = 32


@dataclass(frozen=True)
class PokemonData:
    subset: str = "art"
    limit: int | None = None
    augment: dict | None = None  # genstudio.diffusion.augment.Augment fields
    refresh: int = 8  # latent diffusion: images re-encoded under a fresh augmentation per step
    label_dropout: float = 0.15  # latent diffusion: labels dropped to "any" (classifier-free guidance)
    styles: bool = False  # latent diffusion: condition on the art style too (dropped on its own, same rate)


@dataclass(frozen=True)
class PokemonExtra:
    init_from: str | None = None  # continue from shipped weights
    config_file: str | None = None  # the repo config named in the model card, when not the default


@dataclass(frozen=True)
class DiffusionModel:
    autoencoder: str = "pokemon-autoencoder"
    unet: dict | None = None  # UNet2DModel kwargs over genstudio.diffusion.unet.DEFAULT_UNET
    schedule: dict | None = None  # noise schedule over genstudio.diffusion.pipeline.DEFAULT_SCHEDULE


@dataclass(frozen=True)
class DiffusionOptim:
    warmup: int = 200
    decay_from: int | None = None
    lr_floor: float = 0.1
    weight_decay: float = 0.0
    min_snr_gamma: float = 5.0
    clip: float = 1.0  # gradient norm clip


class Randomness:
    """A numpy generator (data order) and a torch generator (augmentation, labels) checkpointed together,
    so that a resumed run draws exactly what an uninterrupted one would."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.gen = torch.Generator().manual_seed(seed)

    def state(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state, "gen": self.gen.get_state()}

    def load_state(self, state: dict[str, Any]) -> None:
        if state:
            self.rng.bit_generator.state = state["rng"]
            self.gen.set_state(state["gen"])


class ImageBatches(Randomness):
    """Endless shuffled, augmented batches drawn from a uint8 image array (and its labels)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray | None, batch_size: int, augment: Augment, seed: int):
        super().__init__(seed)
        self.images, self.labels, self.batch_size, self.augment = images, labels, batch_size, augment

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        while True:
            for start in range(0, len(self.images) - self.batch_size + 1, self.batch_size):
                if start == 0:
                    self.order = self.rng.permutation(len(self.images))
                idx = self.order[start:start + self.batch_size]
                x = self.augment(uint8_to_tensor(self.images[idx]), self.gen)
                yield x, (None if self.labels is None else torch.from_numpy(self.labels[idx]))


# --------------------------------------------------------------------------------------------------
class AutoencoderTask(TrainTask):
    """L1 + MSE reconstruction with a noisy, lightly L2-pulled latent (so diffusion errors decode cleanly).

    ``optim.train_only: decoder`` with ``extra.init_from`` fine-tunes the decoder of shipped weights and keeps
    the encoder and its latent statistics exactly: the latent space a diffusion model was trained in stays the
    same, so its samples just decode sharper (the idea of Stable Diffusion's fine-tuned VAE decoders)."""

    Model, Optim, Data, Extra = AutoencoderModel, AutoencoderOptim, PokemonData, PokemonExtra

    def __init__(self, cfg: TrainConfig, accelerator: Accelerator):
        super().__init__(cfg, accelerator)
        model, o, d = as_dict(self.opts.model), self.opts.optim, self.opts.data
        self.size = int(model.pop("image_size"))
        self.latent_noise, self.latent_l2, self.mse_weight = o.latent_noise, o.latent_l2, o.mse_weight
        ae = Autoencoder.from_config(model)
        init_from = self.opts.extra.init_from
        if init_from:
            ae.load_state_dict(load_weights(init_from).tensors)
        if o.train_only not in (None, "decoder"):
            raise ValueError("optim.train_only must be 'decoder' (or absent)")
        self.decoder_only = o.train_only == "decoder"
        if self.decoder_only and not init_from:
            raise ValueError("optim.train_only: decoder needs extra.init_from (the autoencoder whose encoder to keep)")
        if self.decoder_only:
            ae.encoder.requires_grad_(False)
        params = ae.decoder.parameters() if self.decoder_only else ae.parameters()
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=o.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_rule(o, cfg))
        ae, opt = accelerator.prepare(ae, opt)
        self.modules, self.optimizers = {"autoencoder": ae}, {"autoencoder": opt}
        self.adv_weight, self.adv_from = o.adv_weight, o.adv_from
        if self.adv_weight > 0:
            critic = PatchCritic(o.critic_width)
            opt_d = torch.optim.Adam(critic.parameters(), lr=cfg.lr, betas=(0.5, 0.9))
            self.modules["critic"], self.optimizers["critic"] = accelerator.prepare(critic, opt_d)
        self.schedulers = {"autoencoder": sched}
        self.ema_modules = ["autoencoder"]
        data = load_pokemon(cfg.data_root, self.size, d.subset, d.limit)
        self.images = data.images
        augment = Augment.from_config(d.augment)
        self.data = ImageBatches(self.images, None, cfg.batch_size, augment, cfg.seed + accelerator.process_index)
        probe = np.random.default_rng(1234).choice(len(self.images), min(16, len(self.images)), replace=False)
        self.probe = uint8_to_tensor(self.images[np.sort(probe)])
        self._exported_psnr: float | None = None  # set by export(): the next grid is the shipped text card

    def batches(self) -> Iterator[Any]:
        for x, _ in self.data:
            yield x.to(self.device)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        ae, opt = self.modules["autoencoder"], self.optimizers["autoencoder"]
        raw = self.accelerator.unwrap_model(ae)
        with self.accelerator.autocast():
            with torch.set_grad_enabled(not self.decoder_only):
                z = raw.encode(batch)
            recon = raw.decode(z + self.latent_noise * torch.randn_like(z))
            l1 = (recon - batch).abs().mean()
            mse = F.mse_loss(recon, batch)
            loss = l1 + self.mse_weight * mse + self.latent_l2 * z.pow(2).mean()
        logs = {}
        if self.adv_weight > 0:  # same CSV columns before and after the critic joins
            logs["loss_d"] = 0.0
            if step >= self.adv_from:
                critic, opt_d = self.modules["critic"], self.optimizers["critic"]
                loss_d = hinge_critic_loss(critic, batch, recon)
                opt_d.zero_grad(set_to_none=True)
                self.accelerator.backward(loss_d)
                opt_d.step()
                logs["loss_d"] = loss_d.item()
                loss = loss - self.adv_weight * critic(recon).mean()
        opt.zero_grad(set_to_none=True)
        self.accelerator.backward(loss)
        opt.step()
        self.schedulers["autoencoder"].step()
        return {"loss": loss.item(), "l1": l1.item(), "z_std": z.detach().float().std().item(), **logs}

    @torch.no_grad()
    def sample_grid(self, step: int) -> Image.Image:
        """Reconstructions of 16 fixed training images, originals on top — for runs/ only. The exported
        weights folder (which is committed) gets a text card instead: it never holds dataset images."""
        if self._exported_psnr is not None:
            from PIL import ImageDraw

            note = Image.new("RGB", (520, 60), "white")
            ImageDraw.Draw(note).text(
                (8, 8), f"{self.cfg.name} step {step}: reconstruction PSNR {self._exported_psnr:.2f} dB.\n"
                f"Reconstruction grids show training images: see runs/{self.cfg.name}/samples/.", fill="black")
            self._exported_psnr = None
            return note
        ae = self.sampling_module("autoencoder")
        recon = ae(self.probe.to(self.device)).cpu()
        return grid(to_pil(torch.cat([self.probe, recon])), columns=16)

    @torch.no_grad()
    def latent_stats(self, ae: Autoencoder, limit: int = 1024) -> tuple[torch.Tensor, torch.Tensor, float]:
        """Per-channel latent mean/std over (a fixed subset of) the data, and the reconstruction PSNR."""
        idx = np.random.default_rng(0).choice(len(self.images), min(limit, len(self.images)), replace=False)
        zs, mses = [], []
        for chunk in np.array_split(np.sort(idx), max(1, len(idx) // 128)):
            x = uint8_to_tensor(self.images[chunk]).to(self.device)
            z = ae.encode(x)
            zs.append(z.float().cpu())
            mses.append(((ae.decode(z).clamp(-1, 1) - x) / 2).pow(2).flatten(1).mean(1).cpu())
        z = torch.cat(zs).transpose(0, 1).flatten(1)
        psnr = float((-10 * torch.log10(torch.cat(mses).clamp_min(1e-10))).mean())
        return z.mean(1), z.std(1), psnr

    def export(self, folder: Path, step: int) -> dict[str, Any]:
        ae = self.sampling_module("autoencoder")
        mean, std, psnr = self.latent_stats(ae)
        if self.decoder_only:  # same encoder: keep the statistics the diffusion model was trained with
            std = ae.latent_std.clone()
        else:
            ae.latent_mean.copy_(mean)
            ae.latent_std.copy_(std)
        config = autoencoder_config(ae, self.size, step, psnr)
        save_weights(folder, ae.state_dict(), config)
        facts = {"step": step, "psnr_db": round(psnr, 2), "latent_std": [round(v, 3) for v in std.tolist()]}
        write_card(folder, self.cfg, facts, kind="autoencoder")
        self._exported_psnr = psnr
        return facts

    def extra_state(self) -> dict[str, Any]:
        return {"data": self.data.state()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.data.load_state(state.get("data", {}))


# --------------------------------------------------------------------------------------------------
GRID_SEEDS = (11, 22)


class LatentPool(Randomness):
    """Latents of every training image, kept in memory and refreshed a few at a time with new augmentations.

    Encoding costs more than a U-Net step on a CPU, so the whole set is encoded once (cached on disk for
    resumes) and each step re-encodes `refresh` randomly chosen images under a fresh augmentation: slot i
    always holds some (augmented) version of image i, so labels stay aligned.
    """

    def __init__(self, ae: Autoencoder, images: np.ndarray, augment: Augment, refresh: int, seed: int,
                 cache: Path | None, device: torch.device, encode_batch: int = 64):
        super().__init__(seed + 7)
        self.ae, self.images, self.augment, self.refresh, self.device = ae, images, augment, refresh, device
        if cache is not None and cache.is_file():
            self.z = torch.load(cache)
        else:
            chunks = [self._encode(np.arange(i, min(i + encode_batch, len(images))), augment=False)
                      for i in range(0, len(images), encode_batch)]
            self.z = torch.cat(chunks)
            if cache is not None:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(f".{os.getpid()}.tmp")
                torch.save(self.z, tmp)
                os.replace(tmp, cache)

    @torch.no_grad()
    def _encode(self, idx: np.ndarray, augment: bool) -> torch.Tensor:
        x = uint8_to_tensor(self.images[idx])
        if augment:
            x = self.augment(x, self.gen)
        return self.ae.normalize(self.ae.encode(x.to(self.device))).float().cpu()

    def step(self) -> None:
        if self.refresh > 0:
            idx = self.rng.choice(len(self.images), self.refresh, replace=False)
            self.z[torch.from_numpy(idx)] = self._encode(idx, augment=True)


class LatentDiffusionTask(TrainTask):
    """Type-conditioned latent diffusion: v- (or ε-) prediction, Min-SNR-γ weighting, label dropout for CFG."""

    Model, Optim, Data, Extra = DiffusionModel, DiffusionOptim, PokemonData, PokemonExtra

    def __init__(self, cfg: TrainConfig, accelerator: Accelerator):
        super().__init__(cfg, accelerator)
        from .pipeline import schedule_config, training_scheduler
        from .unet import build_unet, unet_config, widen_class_table

        model, o, d = self.opts.model, self.opts.optim, self.opts.data
        self.ae_name = model.autoencoder
        self.ae, self.ae_checkpoint = load_autoencoder(self.ae_name, self.device)
        self.image_size = int(self.ae.config["image_size"])
        self.schedule = schedule_config(model.schedule)
        self.noise_sched = training_scheduler(self.schedule)
        self.alphas = self.noise_sched.alphas_cumprod.to(self.device)
        self.min_snr, self.clip = o.min_snr_gamma, o.clip
        self.label_dropout = d.label_dropout
        self.styles = STYLES if d.styles else ()
        self.unet_cfg = unet_config(model.unet, len(self.styles))
        unet = build_unet(model.unet, len(self.styles))
        if self.opts.extra.init_from:
            shipped = load_weights(self.opts.extra.init_from).tensors
            classes = self.unet_cfg["num_class_embeds"]
            unet.load_state_dict(widen_class_table(unet_state(shipped, prefer_live=True), classes))
            self.init_ema = {"unet": widen_class_table(unet_state(shipped), classes)}
        opt = torch.optim.AdamW(unet.parameters(), lr=cfg.lr, weight_decay=o.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_rule(o, cfg))
        unet, opt = accelerator.prepare(unet, opt)
        self.modules, self.optimizers, self.schedulers = {"unet": unet}, {"unet": opt}, {"unet": sched}
        self.ema_modules = ["unet"]

        data = load_pokemon(cfg.data_root, self.image_size, d.subset, d.limit)
        self.type1, self.type2 = torch.from_numpy(data.type1), torch.from_numpy(data.type2)
        self.style = torch.from_numpy(data.style)
        cache = cfg.run_path() / f"latents-{self.ae_checkpoint}-{len(data.images)}.pt"
        self.pool = LatentPool(self.ae, data.images, Augment.from_config(d.augment),
                               d.refresh, cfg.seed + accelerator.process_index,
                               cache, self.device)
        self.random = Randomness(cfg.seed + 1000 + accelerator.process_index)
        self.rng, self.gen = self.random.rng, self.random.gen

    # -- data ------------------------------------------------------------------------------------------
    def batches(self) -> Iterator[Any]:
        n, bs = len(self.type1), self.cfg.batch_size
        while True:
            order = self.rng.permutation(n)
            for start in range(0, n - bs + 1, bs):
                self.pool.step()
                idx = torch.from_numpy(order[start:start + bs])
                yield self.pool.z[idx].to(self.device), self.labels(idx).to(self.device)

    def labels(self, idx: torch.Tensor) -> torch.Tensor:
        """A creature of two types is shown as either, at random; some labels are dropped to "any" for CFG,
        and (for a style-conditioned model) the style, independently, to "any style"."""
        t1, t2 = self.type1[idx], self.type2[idx]
        pick2 = (torch.rand(len(idx), generator=self.gen) < 0.5) & (t2 >= 0)
        label = torch.where(pick2, t2, t1)
        drop = torch.rand(len(idx), generator=self.gen) < self.label_dropout
        label = torch.where(drop, torch.full_like(label, ANY), label)
        if not self.styles:
            return label
        style = self.style[idx]
        keep = (torch.rand(len(idx), generator=self.gen) >= self.label_dropout) & (style >= 0)
        return label + NUM_CLASSES * torch.where(keep, style + 1, torch.zeros_like(style))

    # -- training --------------------------------------------------------------------------------------
    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor], step: int) -> dict[str, float]:
        z0, labels = batch
        unet, opt = self.modules["unet"], self.optimizers["unet"]
        noise = torch.randn_like(z0)
        t = torch.randint(0, self.schedule["num_train_timesteps"], (z0.shape[0],), device=z0.device)
        zt = self.noise_sched.add_noise(z0, noise, t)
        ptype = self.schedule["prediction_type"]
        if ptype == "v_prediction":
            target = self.noise_sched.get_velocity(z0, noise, t)
        elif ptype == "epsilon":
            target = noise
        else:
            target = z0
        a = self.alphas[t]
        snr = a / (1 - a)
        # Min-SNR-γ (Hang et al. 2023), expressed for each prediction target
        clipped = snr.clamp(max=self.min_snr) if self.min_snr > 0 else snr
        weight = {"v_prediction": clipped / (snr + 1), "epsilon": clipped / snr, "sample": clipped}[ptype]
        if self.min_snr <= 0:
            weight = torch.ones_like(weight)
        with self.accelerator.autocast():
            pred = unet(zt, t, class_labels=labels).sample
        per = (pred.float() - target).pow(2).flatten(1).mean(1)
        loss = (weight * per).mean()
        opt.zero_grad(set_to_none=True)
        self.accelerator.backward(loss)
        if self.accelerator.sync_gradients:
            self.accelerator.clip_grad_norm_(unet.parameters(), self.clip)
        opt.step()
        self.schedulers["unet"].step()
        return {"loss": loss.item(), "mse": per.mean().item()}

    # -- sampling / export -----------------------------------------------------------------------------
    @torch.no_grad()
    def sample_images(self, labels: list[int], seeds: list[int], sampler: str = "dpm++", steps: int = 20,
                      guidance: float = 3.0) -> torch.Tensor:
        from .pipeline import decode, sample_latents

        unet = self.sampling_module("unet").eval()
        z = sample_latents(unet, labels, seeds, sampler, steps, guidance, schedule=self.schedule)
        return decode(self.ae, z).cpu()

    def sample_grid(self, step: int) -> Image.Image:
        """Two fixed seeds for each of the 18 types (row-major: type by type), DPM++ 20 steps, guidance 3 (in
        the first style, for a style-conditioned model)."""
        labels = [class_label(t, self.styles[0] if self.styles else "any", self.styles)
                  for t in range(len(TYPES)) for _ in GRID_SEEDS]
        seeds = [s + 1000 * t for t in range(len(TYPES)) for s in GRID_SEEDS]
        return grid(to_pil(self.sample_images(labels, seeds)), columns=12)

    def export(self, folder: Path, step: int) -> dict[str, Any]:
        ema = self.sampling_module("unet")
        live = self.accelerator.unwrap_model(self.modules["unet"])
        tensors = {f"unet.{k}": v for k, v in ema.state_dict().items()}
        tensors.update({f"live.{k}": v for k, v in live.state_dict().items()})
        config = diffusion_config(self.unet_cfg, self.schedule, self.ae_name, self.ae_checkpoint,
                                  self.image_size, step, self.styles)
        save_weights(folder, tensors, config)
        facts = {"step": step, "unet_parameters_M": round(sum(p.numel() for p in ema.parameters()) / 1e6, 2),
                 "autoencoder": f"{self.ae_name} ({self.ae_checkpoint})",
                 "prediction": self.schedule["prediction_type"], "beta_schedule": self.schedule["beta_schedule"]}
        write_card(folder, self.cfg, facts, kind="diffusion")
        return facts

    def extra_state(self) -> dict[str, Any]:
        return {"pool": self.pool.state(), **self.random.state()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        if state:
            self.pool.load_state(state.get("pool", {}))
            self.random.load_state(state)


def diffusion_config(unet_cfg: dict[str, Any], schedule: dict[str, Any], ae_name: str, ae_checkpoint: str,
                     image_size: int, step: int, styles: tuple[str, ...] = ()) -> dict[str, Any]:
    """config.json of an exported diffusion model: everything PokemonModel.load needs to rebuild it."""
    return {
        "family": "pokemon",
        "autoencoder": ae_name,
        "autoencoder_checkpoint": ae_checkpoint,
        "image_size": image_size,
        "unet": {k: (list(v) if isinstance(v, tuple) else v) for k, v in unet_cfg.items()},
        "schedule": schedule,
        "types": list(TYPES),
        "styles": list(styles),
        "step": step,
    }


def autoencoder_config(ae: Autoencoder, image_size: int, step: int, psnr: float | None = None) -> dict[str, Any]:
    """config.json of an exported autoencoder (architecture + the latent statistics)."""
    return {"family": "pokemon-autoencoder", "image_size": image_size, **ae.config,
            "latent_mean": ae.latent_mean.tolist(), "latent_std": ae.latent_std.tolist(),
            "psnr": None if psnr is None else round(psnr, 2), "step": step}

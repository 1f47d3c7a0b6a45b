"""Sampling: DDPM / DDIM / DPM-Solver++ from diffusers, classifier-free guidance on the type label, per-image
noise from (seed, index), and live previews of the predicted clean image.

Every image draws its starting noise (and, for stochastic samplers, its per-step noise) from its own
generator seeded by its own seed, so an image does not depend on what else is in the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, UNet2DModel

from ..data.pokemon import ANY
from .autoencoder import Autoencoder

SAMPLERS = ("ddpm", "ddim", "dpm++")

DEFAULT_SCHEDULE: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 1e-4,
    "beta_end": 0.02,
    "beta_schedule": "linear",  # the original's; "squaredcos_cap_v2" is the cosine option
    "prediction_type": "v_prediction",
}

PreviewFn = Callable[[int, int, torch.Tensor], None]
"""preview(step done, total steps, predicted clean latents x0)"""


def schedule_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**DEFAULT_SCHEDULE, **(overrides or {})}


def training_scheduler(schedule: dict[str, Any]) -> DDPMScheduler:
    """The forward process used in training (add_noise, get_velocity, alphas_cumprod)."""
    return DDPMScheduler(**schedule_config(schedule), clip_sample=False)


def make_scheduler(sampler: str, schedule: dict[str, Any]):
    """A fresh diffusers scheduler for one sampling run."""
    common = schedule_config(schedule)
    if sampler == "ddpm":
        return DDPMScheduler(**common, clip_sample=False)
    if sampler == "ddim":
        return DDIMScheduler(**common, clip_sample=False, set_alpha_to_one=False, timestep_spacing="trailing")
    if sampler == "dpm++":
        return DPMSolverMultistepScheduler(**common, algorithm_type="dpmsolver++", solver_order=2,
                                           timestep_spacing="trailing")
    raise ValueError(f"unknown sampler {sampler!r}; choose from {', '.join(SAMPLERS)}")


def predicted_x0(model_output: torch.Tensor, x_t: torch.Tensor, t: int, alphas_cumprod: torch.Tensor,
                 prediction_type: str) -> torch.Tensor:
    """The model's current estimate of the clean latent (what the live preview shows)."""
    a = alphas_cumprod[int(t)].to(x_t)
    if prediction_type == "epsilon":
        return (x_t - (1 - a).sqrt() * model_output) / a.sqrt()
    if prediction_type == "v_prediction":
        return a.sqrt() * x_t - (1 - a).sqrt() * model_output
    return model_output  # "sample"


def seeded_noise(seeds: Sequence[int], shape: Sequence[int], salt: int = 0) -> torch.Tensor:
    """One standard-normal tensor per seed (stacked), each from its own generator."""
    return torch.stack([torch.randn(*shape, generator=torch.Generator().manual_seed((s + salt) % 2**63))
                        for s in seeds])


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between noise tensors (keeps the noise's norm, unlike lerp)."""
    af, bf = a.flatten(1), b.flatten(1)
    omega = torch.arccos((af * bf).sum(1) / (af.norm(dim=1) * bf.norm(dim=1))).clamp(1e-6, 3.14159)[:, None]
    out = (torch.sin((1 - t) * omega) * af + torch.sin(t * omega) * bf) / torch.sin(omega)
    return out.view_as(a)


def initial_noise(seeds: Sequence[int], shape: Sequence[int], variation_of: int | None = None,
                  strength: float = 0.0) -> torch.Tensor:
    """Starting latents; with variation_of, each seed's noise is a small step away from that seed's noise."""
    noise = seeded_noise(seeds, shape)
    if variation_of is not None and strength > 0:
        base = seeded_noise([variation_of] * len(seeds), shape)
        noise = slerp(base, noise, strength)
    return noise


@torch.no_grad()
def sample_latents(
    unet: UNet2DModel,
    labels: Sequence[int],
    seeds: Sequence[int],
    sampler: str = "dpm++",
    steps: int = 20,
    guidance: float = 3.0,
    eta: float = 0.0,
    schedule: dict[str, Any] | None = None,
    preview: PreviewFn | None = None,
    preview_every: int = 0,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Denoise from seeded noise to clean (normalised) latents [N, C, S, S]."""
    schedule = schedule_config(schedule)
    device = next(unet.parameters()).device
    dtype = next(unet.parameters()).dtype
    sched = make_scheduler(sampler, schedule)
    sched.set_timesteps(steps if sampler != "ddpm" else min(steps, schedule["num_train_timesteps"]))
    c, s = unet.config.in_channels, unet.config.sample_size
    x = (noise if noise is not None else seeded_noise(seeds, (c, s, s))).to(device, dtype)
    x = x * sched.init_noise_sigma
    cond = torch.tensor(list(labels), device=device)
    null = torch.full_like(cond, ANY)
    guided = guidance != 1.0 and bool((cond != ANY).any())
    step_gens = [torch.Generator().manual_seed((seed * 2654435761 + 97) % 2**63) for seed in seeds]
    stochastic = sampler == "ddpm" or (sampler == "ddim" and eta > 0)
    alphas = sched.alphas_cumprod
    timesteps = sched.timesteps
    total = len(timesteps)
    every = preview_every or max(1, total // 10)
    for i, t in enumerate(timesteps):
        inp = sched.scale_model_input(x, t)
        if guided:
            out = unet(torch.cat([inp, inp]), t, class_labels=torch.cat([null, cond])).sample
            uncond, condout = out.chunk(2)
            out = uncond + guidance * (condout - uncond)
        else:
            out = unet(inp, t, class_labels=cond).sample
        if sampler == "ddpm":
            x = torch.cat([sched.step(out[j:j + 1], t, x[j:j + 1], generator=step_gens[j]).prev_sample
                           for j in range(len(seeds))])
        elif sampler == "ddim":
            noise_t = seeded_step_noise(step_gens, x) if stochastic else None
            x = sched.step(out, t, x, eta=eta, variance_noise=noise_t).prev_sample
        else:
            x = sched.step(out, t, x).prev_sample
        if preview is not None and ((i + 1) % every == 0 or i + 1 == total):
            preview(i + 1, total, predicted_x0(out, inp, t, alphas, schedule["prediction_type"]))
    return x


def seeded_step_noise(gens: Sequence[torch.Generator], like: torch.Tensor) -> torch.Tensor:
    return torch.stack([torch.randn(like.shape[1:], generator=g) for g in gens]).to(like)


@torch.no_grad()
def decode(ae: Autoencoder, latents: torch.Tensor) -> torch.Tensor:
    """Normalised latents -> [-1, 1] images."""
    return ae.decode(ae.denormalize(latents.to(next(ae.parameters()).dtype))).clamp(-1, 1)

"""Schedulers and samplers: shapes, determinism, per-image seeds, conditioning and guidance, previews."""

from __future__ import annotations

import pytest
import torch

from genstudio.data.pokemon import ANY, TYPES
from genstudio.diffusion.pipeline import (
    SAMPLERS,
    make_scheduler,
    predicted_x0,
    sample_latents,
    schedule_config,
    training_scheduler,
)

from .conftest import tiny_unet


@pytest.fixture(scope="module")
def unet():
    return tiny_unet()


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_sampler_shapes_and_determinism(unet, sampler):
    steps = 8
    a = sample_latents(unet, [1, ANY], [3, 4], sampler, steps, guidance=2.0, eta=0.5)
    b = sample_latents(unet, [1, ANY], [3, 4], sampler, steps, guidance=2.0, eta=0.5)
    assert a.shape == (2, 4, 8, 8) and torch.isfinite(a).all()
    assert torch.equal(a, b)
    c = sample_latents(unet, [1, ANY], [5, 4], sampler, steps, guidance=2.0, eta=0.5)
    assert not torch.allclose(a[0], c[0]) and torch.allclose(a[1], c[1], atol=1e-5)


@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_an_image_does_not_depend_on_its_batch(unet, sampler):
    """Per-image generators: the same seed gives the same image alone or among others (stochastic samplers)."""
    alone = sample_latents(unet, [2], [7], sampler, 10, guidance=1.0, eta=1.0)
    batch = sample_latents(unet, [5, 2, 9], [1, 7, 2], sampler, 10, guidance=1.0, eta=1.0)
    assert torch.allclose(alone[0], batch[1], atol=1e-4)


def test_type_and_guidance_change_the_output(unet):
    # a random class embedding is small next to the time embedding: make it count so the effect is visible
    with torch.no_grad():
        unet.class_embedding.weight.mul_(50)
    try:
        fire = sample_latents(unet, [TYPES.index("fire")], [1], "ddim", 10, guidance=3.0)
        water = sample_latents(unet, [TYPES.index("water")], [1], "ddim", 10, guidance=3.0)
        weak = sample_latents(unet, [TYPES.index("fire")], [1], "ddim", 10, guidance=1.0)
        anyt = sample_latents(unet, [ANY], [1], "ddim", 10, guidance=3.0)
        anyt_more = sample_latents(unet, [ANY], [1], "ddim", 10, guidance=7.0)
    finally:
        with torch.no_grad():
            unet.class_embedding.weight.div_(50)
    assert (fire - water).abs().mean() > 1e-3
    assert (fire - weak).abs().mean() > 1e-3
    assert torch.equal(anyt, anyt_more)  # "any" is the null label: guidance has nothing to amplify


@pytest.mark.parametrize("ptype", ["epsilon", "v_prediction"])
def test_predicted_x0_inverts_the_forward_process(ptype):
    sched = training_scheduler({"prediction_type": ptype})
    x0, noise = torch.randn(3, 4, 8, 8), torch.randn(3, 4, 8, 8)
    t = torch.tensor([10, 500, 990])
    xt = sched.add_noise(x0, noise, t)
    target = noise if ptype == "epsilon" else sched.get_velocity(x0, noise, t)
    for i in range(3):
        est = predicted_x0(target[i:i + 1], xt[i:i + 1], int(t[i]), sched.alphas_cumprod, ptype)
        assert torch.allclose(est, x0[i:i + 1], atol=1e-3)


def test_schedules_and_previews(unet):
    assert make_scheduler("ddpm", schedule_config()).config.beta_end == 0.02
    cosine = make_scheduler("dpm++", {"beta_schedule": "squaredcos_cap_v2"})
    assert cosine.config.beta_schedule == "squaredcos_cap_v2"
    with pytest.raises(ValueError, match="unknown sampler"):
        make_scheduler("euler", schedule_config())
    seen = []
    sample_latents(unet, [0, 1], [1, 2], "dpm++", 10, preview=lambda d, n, x0: seen.append((d, n, x0.shape)),
                   preview_every=3)
    assert [s[0] for s in seen] == [3, 6, 9, 10] and seen[0][1] == 10 and seen[0][2] == (2, 4, 8, 8)

"""WGAN-GP networks, gradient penalty and latent operations."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from genstudio.wgan.latent import apply_directions, interpolate, orthogonalize, slerp, z_for_seeds
from genstudio.wgan.networks import Critic, Generator, gradient_penalty


class LinearCritic(nn.Module):
    """D(x) = <w, x>: its input gradient is w everywhere, so the penalty is exactly (|w| - 1)^2."""

    def __init__(self, numel: int, value: float):
        super().__init__()
        self.w = nn.Parameter(torch.full((numel,), value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.w


@pytest.mark.parametrize("norm", [1.0, 3.0, 0.5])
def test_gradient_penalty_known_linear_case(norm):
    numel = 3 * 4 * 4
    critic = LinearCritic(numel, norm / math.sqrt(numel))
    real, fake = torch.randn(5, 3, 4, 4), torch.randn(5, 3, 4, 4)
    gp = gradient_penalty(critic, real, fake)
    assert gp.item() == pytest.approx((norm - 1) ** 2, abs=1e-5)


def test_gradient_penalty_is_per_example_and_differentiable():
    # D(x) = sum(x^2)/2 -> grad = x_hat; the norm is over C,H,W of each example, not over one dim.
    class Square(nn.Module):
        def forward(self, x):
            return 0.5 * x.square().flatten(1).sum(1)

    real = torch.ones(2, 1, 2, 2)  # |x| = 2 for any alpha when fake == real
    gp = gradient_penalty(Square(), real, real.clone())
    assert gp.item() == pytest.approx(1.0)
    critic = Critic(8, 16)
    gp = gradient_penalty(critic, torch.randn(4, 3, 16, 16), torch.randn(4, 3, 16, 16))
    gp.backward()
    weights = [p for name, p in critic.named_parameters() if name.endswith("weight")]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in weights)  # double backward reached them


@pytest.mark.parametrize("resolution", [16, 32, 64])
def test_generator_and_critic_shapes(resolution):
    g = Generator(z_dim=16, width=8, resolution=resolution).eval()
    x = g(torch.randn(3, 16))
    assert x.shape == (3, 3, resolution, resolution)
    assert x.min() >= -1 and x.max() <= 1
    d = Critic(width=8, resolution=resolution)
    assert d(x).shape == (3,)
    assert not any(isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d) for m in d.modules())


def test_bad_resolution_and_norm_are_refused():
    with pytest.raises(ValueError):
        Generator(resolution=48)
    with pytest.raises(ValueError):
        Critic(norm="batch")


def test_z_is_determined_by_seed_and_face_k_is_seed_plus_k():
    a = z_for_seeds([5, 6, 7], 16)
    assert torch.equal(a, z_for_seeds([5, 6, 7], 16))
    assert torch.equal(a[2], z_for_seeds([7], 16)[0])
    assert not torch.equal(a[0], a[1])
    assert torch.allclose(z_for_seeds([5], 16, truncation=0.5), 0.5 * a[:1])


@pytest.mark.parametrize("method", ["slerp", "linear"])
def test_interpolation_end_points_are_exact(method):
    a, b = z_for_seeds([1, 2], 32)
    path = interpolate(a, b, 9, method)
    assert path.shape == (9, 32)
    assert torch.equal(path[0], a) and torch.equal(path[-1], b)
    steps = (path[1:] - path[:-1]).norm(dim=1)
    assert steps.max() < 0.5 * (a - b).norm()  # it actually moves in small steps


def test_slerp_keeps_the_norm_between_equal_norm_vectors():
    a, b = z_for_seeds([3, 4], 128)
    b = b * a.norm() / b.norm()
    mid = slerp(a, b, 0.5)
    assert mid.norm().item() == pytest.approx(a.norm().item(), rel=1e-4)
    assert (0.5 * (a + b)).norm() < 0.9 * a.norm()  # what lerp would have given instead
    with pytest.raises(ValueError):
        interpolate(a, b, 1)


def test_orthogonal_edit_keeps_other_attributes_projection():
    gen = torch.Generator().manual_seed(0)
    d = {k: torch.randn(16, generator=gen) for k in ("Smiling", "Male", "Young")}
    d = {k: v / v.norm() for k, v in d.items()}
    z = torch.randn(4, 16, generator=gen)
    plain = apply_directions(z, d, {"Smiling": 3.0})
    kept = apply_directions(z, d, {"Smiling": 3.0}, keep=["Male", "Young"])
    for other in ("Male", "Young"):
        assert torch.allclose(kept @ d[other], z @ d[other], atol=1e-5)
        assert not torch.allclose(plain @ d[other], z @ d[other], atol=1e-3)
    assert ((kept - z) @ d["Smiling"]).min() > 0
    u = orthogonalize(d["Smiling"], [d["Male"]])
    assert u.norm().item() == pytest.approx(1.0) and abs(float(u @ d["Male"])) < 1e-6

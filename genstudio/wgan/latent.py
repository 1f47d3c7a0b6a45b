"""Latent-space operations shared by the service, the scripts and the tests: seeds -> z, truncation,
linear and spherical interpolation, attribute directions, arithmetic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch


def z_for_seeds(seeds: Sequence[int], z_dim: int, truncation: float = 1.0) -> torch.Tensor:
    """One standard-normal z per seed (so face k of "count=4, seed=s" is the face of seed s+k),
    scaled by truncation in (0, 1] — a temperature that trades variety for typical, cleaner faces."""
    zs = [torch.randn(z_dim, generator=torch.Generator().manual_seed(int(s))) for s in seeds]
    return torch.stack(zs) * float(truncation)


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    return a + (b - a) * t


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Spherical interpolation (Shoemake; White 2016 for GANs): keeps |z| typical along the path, so
    midpoints are not the low-norm, washed-out faces a straight line gives in high dimension."""
    a_n = a / a.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    b_n = b / b.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    omega = torch.acos((a_n * b_n).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    t = torch.as_tensor(t, dtype=a.dtype)
    out = (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b
    near = so.abs() < 1e-6  # parallel vectors: fall back to lerp
    return torch.where(near, lerp(a, b, t), out)


def interpolate(a: torch.Tensor, b: torch.Tensor, frames: int, method: str = "slerp") -> torch.Tensor:
    """[frames, z_dim] from a (frame 0) to b (last frame), both included exactly."""
    if frames < 2:
        raise ValueError("an interpolation needs at least 2 frames")
    if method not in ("slerp", "linear"):
        raise ValueError("method must be 'slerp' or 'linear'")
    t = torch.linspace(0, 1, frames).unsqueeze(1)
    path = (slerp if method == "slerp" else lerp)(a.unsqueeze(0), b.unsqueeze(0), t)
    path[0], path[-1] = a, b  # exact end points (no rounding from sin/acos)
    return path


def orthogonalize(direction: torch.Tensor, others: Sequence[torch.Tensor]) -> torch.Tensor:
    """Remove from `direction` its components along `others` (InterFaceGAN's conditional editing),
    so moving along it leaves those attributes' linear scores unchanged. Returns a unit vector."""
    d = direction.clone()
    basis: list[torch.Tensor] = []
    for o in others:  # Gram-Schmidt on the others first, so projections do not interfere
        v = o.clone()
        for u in basis:
            v = v - (v @ u) * u
        if v.norm() > 1e-6:
            basis.append(v / v.norm())
    for u in basis:
        d = d - (d @ u) * u
    return d / d.norm().clamp_min(1e-8)


def apply_directions(
    z: torch.Tensor,
    directions: Mapping[str, torch.Tensor],
    amounts: Mapping[str, float],
    keep: Sequence[str] = (),
) -> torch.Tensor:
    """z + sum_a amount_a * d_a, with each d_a made orthogonal to the directions named in `keep`
    (and to the other edited ones) when keep is given."""
    out = z.clone()
    for name, amount in amounts.items():
        if not amount:
            continue
        d = directions[name]
        if keep:
            others = [directions[k] for k in keep if k != name and k in directions]
            d = orthogonalize(d, others)
        out = out + float(amount) * d
    return out


def arithmetic(plus: torch.Tensor, minus: torch.Tensor) -> torch.Tensor:
    """The DCGAN paper's vector arithmetic on *means* of groups: sum(mean of each plus group) - ...

    Here plus / minus are [n, z_dim] stacks of terms; the result is sum(plus) - sum(minus), which is the
    original's "glasses man - man + woman" when each term is itself an average of a few faces.
    """
    out = plus.sum(0)
    if minus.numel():
        out = out - minus.sum(0)
    return out

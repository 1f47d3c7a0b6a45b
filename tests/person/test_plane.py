"""The GAN-decoded face plane: attribute neighbourhoods stay together, a point on a face decodes to that
face's z, and every decoded z has a typical norm (what keeps GAN faces sharp), unlike a plain average."""

from __future__ import annotations

import torch

from genstudio.wgan.plane import fit_plane


def synthetic(n: int = 400, z_dim: int = 32):
    """z whose first two coordinates *are* two attributes' logits (and 38 more noisy ones)."""
    g = torch.Generator().manual_seed(0)
    z = torch.randn(n, z_dim, generator=g)
    names = [f"a{i}" for i in range(40)]
    logits = torch.randn(n, 40, generator=g) * 0.1
    logits[:, 0], logits[:, 1] = 3 * z[:, 0], 3 * z[:, 1]
    return z, logits, names


def test_a_point_on_a_face_decodes_to_that_face_and_norms_stay_typical():
    z, logits, names = synthetic()
    plane = fit_plane(z, logits, names, layout_attributes=["a0", "a1"])
    assert plane.coords.shape == (400, 2) and plane.coords.abs().max() <= 1
    on_faces = plane.z_at(plane.coords[:5])
    cos = torch.nn.functional.cosine_similarity(on_faces, z[:5], dim=1)
    assert (cos > 0.99).all()
    between = plane.z_at(torch.rand(50, 2) * 2 - 1)
    typical = z.norm(dim=1).mean()
    assert torch.allclose(between.norm(dim=1), torch.full((50,), float(typical)), rtol=1e-4)
    assert z[:50].mean(0).norm() < 0.5 * typical  # what plain averaging would give: a washed-out mean face


def test_neighbourhoods_keep_their_attribute():
    z, logits, names = synthetic()
    plane = fit_plane(z, logits, names, layout_attributes=["a0", "a1"])
    labels = torch.tensor([int(c) for c in plane.labels["a0"]])
    # points at the centroids of faces with and without a0 decode to z on the same side of the boundary
    with_a0 = plane.z_at(plane.coords[labels == 1].mean(0, keepdim=True))
    without = plane.z_at(plane.coords[labels == 0].mean(0, keepdim=True))
    assert with_a0[0, 0] > 0 > without[0, 0]

"""Critics that only training needs (serving never imports them)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PatchCritic(nn.Module):
    """Image -> a map of realism scores, one per ~22 px patch (3 stride-2 convolutions, no normalisation: for
    the hinge loss). Used where a reconstruction loss alone gives soft detail: the face up-sampler and the
    Pokémon decoder's fine-tune."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * width, 4 * width, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(4 * width, 1, 3, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def hinge_critic_loss(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The critic's hinge loss on a real and a (detached) generated batch."""
    return F.relu(1 - critic(real)).mean() + F.relu(1 + critic(fake.detach())).mean()

"""WGAN-GP face generator (Gulrajani et al. 2017): networks, gradient penalty, training task, latent ops."""

from .latent import interpolate, lerp, slerp, z_for_seeds
from .networks import Critic, Generator, gradient_penalty

__all__ = ["Critic", "Generator", "gradient_penalty", "interpolate", "lerp", "slerp", "z_for_seeds"]

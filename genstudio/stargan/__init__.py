"""StarGAN (Choi et al. 2018): one generator for many attribute edits, a PatchGAN critic with an attribute head."""

from .networks import ATTRIBUTES, HAIR, Discriminator, Generator

__all__ = ["ATTRIBUTES", "HAIR", "Discriminator", "Generator"]

"""Load any Random Pokémon model by name, whatever its family (diffusion or GAN), behind one `generate`."""

from __future__ import annotations

from typing import Any

from ... import weights
from ...errors import ModelMissing


def family_of(name: str) -> str:
    """The family recorded in weights/<name>/config.json ("pokemon-gan", or the diffusion's default)."""
    return str(weights.read_config(name).get("family", "pokemon"))


def load_pokemon_model(name: str) -> Any:
    """A PokemonModel (latent diffusion) or PokemonGanModel; both have generate(type_name, seeds, ...)."""
    if not weights.is_installed(name):
        raise ModelMissing(f"model {name!r} is not installed")
    if family_of(name) == "pokemon-gan":
        from ...pokegan.model import PokemonGanModel

        return PokemonGanModel.load(name)
    from ...diffusion.model import PokemonModel

    return PokemonModel.load(name)

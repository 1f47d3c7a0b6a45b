"""Type-conditioned FastGAN-style generator for Random Pokémon (a data-efficient GAN for a few thousand images).

    from genstudio.pokegan.model import PokemonGanModel
    model = PokemonGanModel.load("pokemon-gan")
    images = model.generate(type_name="fire", seeds=[1, 2, 3])   # PIL images at the native resolution
"""

"""A learned 2× up-sampler (64 → 128 px), one per service: the person service's faces (issue #13, person-upsampler)
and Random Pokémon (issue #12, pokemon-upsampler, trained on the art).

    from genstudio.upsampler.model import load_upsampler
    up = load_upsampler("person-upsampler")    # eval mode; up(x64) -> x128, both [-1, 1] [N, 3, H, W]
"""

"""A learned 2× face up-sampler (64 → 128 px) for the person service's generated faces (issue #13).

    from genstudio.upsampler.model import load_upsampler
    up = load_upsampler("person-upsampler")    # eval mode; up(x64) -> x128, both [-1, 1] [N, 3, H, W]
"""

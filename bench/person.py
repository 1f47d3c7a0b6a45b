"""Speed of the person service's generator on this machine.

    python bench/person.py [--model person-wgan64] [--upsampler person-upsampler] [--threads N] [--repeats 5]

Prints faces per second at batch 1, 16 and 64, and the latency of a 16-frame interpolation (z path +
generator + PNG-ready PIL images), against the issue's targets: 64 faces < 0.5 s, 16 frames < 0.5 s; with an
up-sampler, 16 faces at twice the resolution (generator + up-sampler), target < 1 s.
Without installed weights it times a randomly initialised network of the CPU config's shape.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import yaml

from genstudio.services.person.pipeline import PersonPipeline
from genstudio.weights import is_installed
from genstudio.wgan.model import load_generator
from genstudio.wgan.train import build_networks


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="person-wgan64")
    ap.add_argument("--config", default="configs/person-wgan64-cpu.yaml", help="shape to use without weights")
    ap.add_argument("--upsampler", default="person-upsampler", help="the 2× up-sampler to time, if installed")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if is_installed(args.model):
        network, checkpoint, _ = load_generator(args.model)
        what = f"{args.model} ({checkpoint})"
    else:
        with open(args.config) as fh:
            network = build_networks(yaml.safe_load(fh)["model"])[0].eval()
        checkpoint, what = "random", f"random weights shaped like {args.config} (model not installed)"
    gen = PersonPipeline(args.model, network, checkpoint, None, upsampler=args.upsampler)
    params = sum(p.numel() for p in network.parameters())
    print(f"generator: {what}; {params / 1e6:.2f} M parameters; {network.resolution} px; "
          f"torch threads {torch.get_num_threads()}")
    for batch in (1, 16, 64):
        seconds = timed(lambda b=batch: gen.generate({"mode": "generate", "count": b, "seed": 0,
                                                        "truncation": 0.8}, {}), args.repeats)
        target = "  (target < 0.5 s)" if batch == 64 else ""
        print(f"batch {batch:3d}: {seconds * 1000:8.1f} ms  -> {batch / seconds:8.1f} faces/s{target}")
    seconds = timed(lambda: gen.generate({"mode": "interpolate", "seed": 1, "seed_b": 2, "frames": 16,
                                          "method": "slerp", "truncation": 0.8}, {}), args.repeats)
    print(f"interpolation, 16 frames: {seconds * 1000:.1f} ms  (target < 500 ms)")
    if is_installed(args.upsampler):  # the service's own 2× path: generator, then the up-sampler from the cache
        params = {"mode": "generate", "count": 16, "seed": 0, "truncation": 0.8, "resolution": "2x"}
        seconds = timed(lambda: gen.generate(params, {}), args.repeats)
        size = gen.generate({**params, "count": 1}, {})[0].image.width
        print(f"16 faces at {size} px ({args.upsampler}, {gen.upsampler().checkpoint}): {seconds * 1000:.1f} ms  "
              "(target < 1 s)")
    else:
        print(f"16 faces at 2x: skipped, {args.upsampler} is not installed")


if __name__ == "__main__":
    main()

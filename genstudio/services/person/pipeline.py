"""PersonPipeline: the four modes of the person service (generate, interpolate, edit, arithmetic) on top
of the WGAN-GP generator and its attribute directions. No Flask here."""

from __future__ import annotations

import io
import threading
from typing import Any

import torch
from PIL import Image

from ...errors import ParamError
from ...imaging import grid, to_pil
from ...wgan.latent import apply_directions, interpolate, z_for_seeds
from ...wgan.model import Directions
from ...wgan.networks import Generator, GrownGenerator
from ..base import Output, Pipeline, ProgressFn, no_progress
from ..resolution import NATIVE, Upsampling, load_upsampling, upsampling

UPSAMPLER_MODEL = "person-upsampler"


class PersonPipeline(Pipeline):
    def __init__(self, model_name: str, network: Generator | GrownGenerator, checkpoint: str,
                 directions: Directions | None, upsampler: str = UPSAMPLER_MODEL):
        self.model_name = model_name
        self.network = network.eval().requires_grad_(False)
        self.directions = directions
        self.checkpoint = checkpoint + (f"+{directions.checkpoint}" if directions and directions.checkpoint else "")
        self.z_dim = network.z_dim
        self.resolution = int(network.resolution)
        self.upsampler_name = upsampler
        self._lock = threading.Lock()

    # -- latent codes ------------------------------------------------------------------------------
    def z(self, seeds: list[int], truncation: float = 1.0) -> torch.Tensor:
        return z_for_seeds(seeds, self.z_dim, truncation)

    def upsampler(self) -> Upsampling:
        """The 2× up-sampler (ParamError when it is not installed): bench/person.py times the service's 2× path."""
        return load_upsampling(self.upsampler_name)

    @torch.no_grad()
    def draw(self, z: torch.Tensor, resolution: str = NATIVE) -> tuple[list[Image.Image], dict[str, Any], str]:
        """The faces of z at the generator's resolution or 2× (the generator's output up-sampled before it is
        rounded to 8 bits), with what the recipe records for them: the up-sampler's name and checkpoint in the
        image's entries, and the checkpoint chain (generator[+directions]+up-sampler)."""
        up = upsampling(resolution, self.upsampler_name)
        with self._lock:  # the web page's JSON endpoints and the job runner share one network
            x = self.network(z)
            if up is None:
                return to_pil(x), {}, self.checkpoint
            return to_pil(up.network(x)), up.extra(), up.chain(self.checkpoint)

    def render(self, z: torch.Tensor, resolution: str = NATIVE) -> list[Image.Image]:
        return self.draw(z, resolution)[0]

    def edited_z(self, z: torch.Tensor, amounts: dict[str, float], keep_others: bool = False) -> torch.Tensor:
        if not amounts or not any(amounts.values()):
            return z
        if self.directions is None:
            raise ParamError("directions", "attribute directions are not installed on this server")
        missing = [a for a in amounts if a not in self.directions.vectors]
        if missing:
            raise ParamError("directions", "no direction for %(names)s", names=", ".join(missing))
        keep = [a for a in self.directions.names if a not in amounts] if keep_others else []
        return apply_directions(z, self.directions.vectors, amounts, keep)

    def arithmetic_z(self, plus: list[int], minus: list[int], truncation: float) -> torch.Tensor:
        """(sum of + faces - sum of - faces) / (#plus - #minus): an affine combination, so with groups of
        three the result is mean(group A) - mean(group B) + mean(group C) as in the DCGAN paper; then
        rescaled to the terms' average length so the face is not washed out (short z = blurry average)."""
        check_arithmetic(plus, minus)
        zp, zm = self.z(plus, truncation), self.z(minus, truncation) if minus else torch.zeros(0, self.z_dim)
        out = (zp.sum(0) - zm.sum(0)) / (len(plus) - len(minus))
        typical = torch.cat([zp, zm]).norm(dim=1).mean()
        return (out * typical / out.norm().clamp_min(1e-8)).unsqueeze(0)

    # -- the service entry point -------------------------------------------------------------------
    def generate(self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
                 ) -> list[Output]:
        """Faces (one image each), or one image for a whole interpolation (its frames as a strip) or a whole
        arithmetic run (its result: the terms are in the recipe), so one request is one gallery item."""
        mode = params.get("mode") or "generate"
        truncation = float(params.get("truncation") or 1.0)
        resolution = params.get("resolution") or NATIVE
        if mode in ("generate", "edit"):
            seed = int(params["seed"])
            seeds = [seed + i for i in range(int(params.get("count") or 1))]
            z = self.z(seeds, truncation)
            if mode == "edit":
                z = self.edited_z(z, dict(params.get("directions") or {}), bool(params.get("keep_others")))
            images, extra, checkpoint = self.draw(z, resolution)
            return [Output(im, {"face_seed": s, **extra}, checkpoint) for im, s in zip(images, seeds, strict=True)]
        if mode == "interpolate":
            frames = int(params.get("frames") or 16)
            z = self.interpolation_z(int(params["seed"]), int(params["seed_b"]), frames, truncation,
                                     params.get("method") or "slerp")
            images, extra, checkpoint = self.draw(z, resolution)
            return [Output(strip(images), extra, checkpoint)]
        if mode == "arithmetic":
            z = self.arithmetic_z(list(params.get("plus") or []), list(params.get("minus") or []), truncation)
            images, extra, checkpoint = self.draw(z, resolution)
            return [Output(images[0], extra, checkpoint)]
        raise ParamError("mode", "unknown mode %(mode)r", mode=mode)

    def interpolation_z(self, seed_a: int, seed_b: int, frames: int, truncation: float, method: str) -> torch.Tensor:
        za, zb = self.z([seed_a, seed_b], truncation)
        return interpolate(za, zb, frames, method)


def check_arithmetic(plus: list[int], minus: list[int]) -> None:
    if not plus:
        raise ParamError("plus", "pick at least one face to add")
    if len(plus) <= len(minus):
        raise ParamError("plus", "needs more + faces than - faces (e.g. glasses man - man + woman)")


STRIP_COLUMNS = 8


def strip(frames: list[Image.Image]) -> Image.Image:
    """An interpolation's frames in reading order, at most STRIP_COLUMNS a row (the gallery shows one picture)."""
    return grid(frames, columns=min(len(frames), STRIP_COLUMNS), pad=1)


def animation(frames: list[Image.Image], fmt: str = "gif", duration_ms: int = 80, bounce: bool = True) -> bytes:
    """Frames as an animated GIF or WebP that plays forwards then backwards (a smooth loop)."""
    seq = frames + frames[-2:0:-1] if bounce and len(frames) > 2 else frames
    buf = io.BytesIO()
    if fmt == "webp":
        seq[0].save(buf, "WEBP", save_all=True, append_images=seq[1:], duration=duration_ms, loop=0, quality=90)
    else:
        seq[0].save(buf, "GIF", save_all=True, append_images=seq[1:], duration=duration_ms, loop=0, optimize=False)
    return buf.getvalue()

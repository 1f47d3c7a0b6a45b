"""The one place that finds and loads trained weights by model name.

A model is a folder `weights/<name>/` holding `model.safetensors` (tensors, fp16 where quality allows),
`config.json` (what the family needs to rebuild the network) and `README.md` (the model card).
`GENSTUDIO_WEIGHTS` points elsewhere (e.g. a volume of bigger GPU-trained models).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from .errors import ModelMissing

REPO_WEIGHTS = Path(__file__).resolve().parent.parent / "weights"


def weights_root() -> Path:
    return Path(os.environ.get("GENSTUDIO_WEIGHTS") or REPO_WEIGHTS)


def model_dir(name: str) -> Path:
    return weights_root() / name


def is_installed(name: str) -> bool:
    folder = model_dir(name)
    return (folder / "model.safetensors").is_file() and (folder / "config.json").is_file()


@dataclass
class LoadedWeights:
    name: str
    tensors: dict[str, torch.Tensor]
    config: dict[str, Any]
    checkpoint: str  # first 12 hex digits of the file's sha256: recorded in every recipe
    path: Path


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:12]


_digests: dict[tuple[str, int, int, int, int], str] = {}


def digest(name: str) -> str | None:
    """The checkpoint digest of an installed model (None if it is not installed), hashed once per version of
    the file: a file replaced by a retraining has another inode, size or change time, so it is hashed again."""
    path = model_dir(name) / "model.safetensors"
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    if key not in _digests:
        _digests[key] = file_digest(path)
    return _digests[key]


def read_config(name: str) -> dict[str, Any]:
    """An installed model's config.json alone (its family, its autoencoder, its training facts), without reading
    the tensors."""
    return json.loads((model_dir(name) / "config.json").read_text())


def load(name: str, hint: str = "", dtype: torch.dtype = torch.float32) -> LoadedWeights:
    """Load a model's tensors (cast to dtype) and config, or raise ModelMissing with a training hint."""
    folder = model_dir(name)
    if not is_installed(name):
        raise ModelMissing(f"model {name!r} is not installed (looked in {folder})" + (f" — {hint}" if hint else ""))
    path = folder / "model.safetensors"
    tensors = {k: v.to(dtype) if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
    return LoadedWeights(name, tensors, read_config(name), digest(name) or file_digest(path), folder)


def save(
    folder: Path, tensors: dict[str, torch.Tensor], config: dict[str, Any], half: bool = True
) -> Path:
    """Write model.safetensors (+ config.json) into folder; fp16 halves the size for the repo."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, value in tensors.items():
        value = value.detach().cpu().contiguous()
        out[key] = value.half() if (half and value.is_floating_point()) else value
    path = folder / "model.safetensors"
    save_file(out, str(path), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    return path

"""One model cache (genstudio/model_cache.py) for services' pipelines and the models pages use directly: loaded
once per (loader, weights folder, name), again when the weights' digest changes, never for a failed load, and
used by one caller at a time."""

from __future__ import annotations

import shutil
import threading

import pytest
import torch

from genstudio import weights
from genstudio.errors import ModelMissing
from genstudio.model_cache import ModelCache

from .toy import MODEL, TinyNet, ToyService


class CountingLoader:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, name: str) -> weights.LoadedWeights:
        self.calls.append(name)
        return weights.load(name)


@pytest.fixture
def root(toy_weights, tmp_path, monkeypatch):
    """A private copy of the toy weights (tests below rewrite them) as GENSTUDIO_WEIGHTS."""
    folder = tmp_path / "weights"
    shutil.copytree(toy_weights, folder)
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(folder))
    return folder


def test_a_model_is_loaded_once_per_folder_and_version_of_its_weights(root, tmp_path, monkeypatch):
    cache, loader = ModelCache(), CountingLoader()
    first = cache.get(MODEL, loader)
    assert cache.get(MODEL, loader) is first and loader.calls == [MODEL]

    elsewhere = tmp_path / "elsewhere"  # GENSTUDIO_WEIGHTS pointed at another folder: never the stale model
    shutil.copytree(root, elsewhere)
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(elsewhere))
    assert cache.get(MODEL, loader) is not first and len(loader.calls) == 2
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(root))
    assert cache.get(MODEL, loader) is first and len(loader.calls) == 2

    torch.manual_seed(99)  # retrained in place: a new digest, so the new weights are loaded
    weights.save(root / MODEL, TinyNet().state_dict(), {"family": "toy", "latent": 8}, half=False)
    retrained = cache.get(MODEL, loader)
    assert retrained is not first and retrained.checkpoint != first.checkpoint and len(loader.calls) == 3
    assert retrained.checkpoint == weights.file_digest(root / MODEL / "model.safetensors")


def test_a_failed_load_is_not_remembered(root):
    cache, loader = ModelCache(), CountingLoader()
    with pytest.raises(ModelMissing):
        cache.get("toy-later", loader)
    shutil.copytree(root / MODEL, root / "toy-later")
    assert cache.get("toy-later", loader).name == "toy-later" and loader.calls == ["toy-later", "toy-later"]


def test_use_lends_the_model_to_one_caller_at_a_time(root):
    cache, loader = ModelCache(), CountingLoader()
    holding, release, second_in = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with cache.use(MODEL, loader):
            holding.set()
            release.wait(30)

    def second() -> None:
        with cache.use(MODEL, loader):
            second_in.set()

    one = threading.Thread(target=first)
    one.start()
    assert holding.wait(30)
    two = threading.Thread(target=second)
    two.start()
    assert not second_in.wait(0.3)  # still held by the first caller
    release.set()
    assert second_in.wait(30)
    one.join(30)
    two.join(30)
    assert loader.calls == [MODEL]  # and both used the one loaded model


def test_services_take_their_pipelines_from_the_cache(root):
    service, other = ToyService(), ToyService()
    pipeline = service.pipeline()
    assert service.pipeline(MODEL) is pipeline and pipeline.checkpoint == weights.digest(MODEL)
    assert other.pipeline() is not pipeline  # a fresh service instance (a test's app) loads its own
    with service.pipeline_in_use() as held:
        assert held is pipeline

"""FID, KID and precision/recall behave as their definitions say on sets whose answer is known."""

from __future__ import annotations

import numpy as np

from genstudio.metrics.distances import frechet_distance, kernel_distance, precision_recall
from genstudio.metrics.ladder import blur, colour_blobs, down_up, noise


def gaussian(n: int, d: int = 8, shift: float = 0.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)) + shift


def test_frechet_is_zero_on_itself_and_grows_with_the_shift():
    a = gaussian(500)
    assert abs(frechet_distance(a, a)) < 1e-6
    near = frechet_distance(a, gaussian(500, shift=0.5, seed=1))
    far = frechet_distance(a, gaussian(500, shift=2, seed=1))
    assert 8 * 0.25 * 0.8 < near < far  # mean term alone is d * shift²
    assert abs(far - 8 * 4) < 3


def test_kid_is_unbiased_near_zero_for_the_same_distribution():
    same = kernel_distance(gaussian(400), gaussian(400, seed=1))
    shifted = kernel_distance(gaussian(400), gaussian(400, shift=1, seed=1))
    assert abs(same) < 0.1 * shifted


def test_precision_and_recall_separate_quality_from_coverage():
    real = gaussian(300)
    assert precision_recall(real, real.copy()) == (1.0, 1.0)
    far = gaussian(300, shift=10, seed=2)
    assert precision_recall(real, far)[0] == 0.0
    collapsed = np.repeat(real[:1], 300, 0) + 0.01 * gaussian(300, seed=3)  # mode collapse: real-looking, one mode
    precision, recall = precision_recall(real, collapsed)
    assert precision == 1.0 and recall < 0.1


def test_ladder_transforms_keep_shape_and_lose_detail():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    for degraded in (blur(images, 1), blur(images, 2), down_up(images, 32)):
        assert degraded.shape == images.shape and degraded.dtype == np.uint8
    # a blur removes high-frequency energy: neighbouring pixels become more alike
    def roughness(x: np.ndarray) -> float:
        return float(np.abs(np.diff(x.astype(float), axis=2)).mean())
    assert roughness(blur(images, 2)) < roughness(blur(images, 1)) < roughness(images)
    blobs = colour_blobs(4, 64)
    assert blobs.shape == (4, 64, 64, 3) and (blobs[:, 0, 0] == 255).all()  # on white
    assert noise(2, 64).shape == (2, 64, 64, 3)

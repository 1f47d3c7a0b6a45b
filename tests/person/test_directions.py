"""Attribute directions on a tiny generator + classifier: fitting, the classifier score moving the
right way, the glasses demo search, and the arithmetic rule."""

from __future__ import annotations

import pytest
import torch

from genstudio.data.celeba import ATTRIBUTES
from genstudio.errors import ParamError
from genstudio.services.person.pipeline import PersonPipeline
from genstudio.wgan.directions import find_glasses_demo, fit_boundary, fit_directions, label_samples
from genstudio.wgan.latent import z_for_seeds

from .conftest import tiny_classifier, tiny_generator


@pytest.fixture(scope="module")
def labelled():
    g, clf = tiny_generator(), tiny_classifier()
    seeds = list(range(1000, 1600))
    z, logits = label_samples(g, clf, seeds, batch=200)
    # a random classifier's logits need not straddle 0; centre them so both classes exist
    return g, clf, seeds, z, logits - logits.median(0).values


@pytest.mark.parametrize("attribute", ["Smiling", "Male", "Eyeglasses"])
@pytest.mark.parametrize("method", ["logistic", "mean"])
def test_direction_moves_the_classifier_score_the_right_way(labelled, attribute, method):
    g, clf, _seeds, z, logits = labelled
    vectors, stats = fit_directions(z, logits, ATTRIBUTES, [attribute], method=method)
    d = vectors[attribute]
    assert d.norm().item() == pytest.approx(1.0, abs=1e-5)
    assert stats[attribute]["logit_slope"] > 0
    k = ATTRIBUTES.index(attribute)
    base = z_for_seeds(range(50), g.z_dim)
    with torch.no_grad():
        before = clf(g(base))[:, k]
        up = clf(g(base + 3 * d))[:, k]
        down = clf(g(base - 3 * d))[:, k]
    # on average and for most faces (a random direction would go either way: ~50%)
    assert up.mean() > before.mean() > down.mean()
    assert (up > before).float().mean() > 0.6 or (down < before).float().mean() > 0.6
    assert (up > before).float().mean() > 0.5 and (down < before).float().mean() > 0.5


def test_boundary_recovers_a_planted_direction():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(2000, 24, generator=gen)
    true = torch.zeros(24)
    true[3], true[7] = 3.0, -4.0
    y = ((z @ true) > 0.5).float()
    d, accuracy = fit_boundary(z, y)
    assert float(d @ (true / true.norm())) > 0.97
    assert accuracy > 0.95


def test_rare_attribute_is_skipped_not_faked(labelled):
    _g, _clf, _seeds, z, logits = labelled
    shifted = logits.clone()
    k = ATTRIBUTES.index("Bald")
    shifted[:, k] = -5.0
    shifted[:3, k] = 5.0  # only three positives
    vectors, stats = fit_directions(z, shifted, ATTRIBUTES, ["Bald"], rule="threshold")
    assert "Bald" not in vectors and "skipped" in stats["Bald"]
    # ranking instead of thresholding still finds what raises the score when labels are miscalibrated
    shifted[:, ATTRIBUTES.index("Smiling")] -= 100.0  # the classifier says "no smile" to every face
    vectors, stats = fit_directions(z, shifted, ATTRIBUTES, ["Smiling"], rule="rank", ratio=0.2)
    assert stats["Smiling"]["present_rate"] == 0 and stats["Smiling"]["positives"] == 120
    assert stats["Smiling"]["logit_slope"] > 0


def test_glasses_demo_picks_the_right_groups():
    logits = torch.full((6, len(ATTRIBUTES)), -3.0)
    male, glasses = ATTRIBUTES.index("Male"), ATTRIBUTES.index("Eyeglasses")
    logits[0, male] = logits[0, glasses] = 4.0  # seed 10: man with glasses
    logits[1, male] = 5.0  # seed 11: man without
    logits[2, glasses] = 2.0  # seed 12: woman with glasses (in no group)
    demo = find_glasses_demo([10, 11, 12, 13, 14, 15], logits, ATTRIBUTES, per_group=1)
    assert demo["man_with_glasses"] == [10] and demo["man_without_glasses"] == [11]
    assert demo["woman_without_glasses"][0] in (13, 14, 15)
    assert demo["plus"] == [10, demo["woman_without_glasses"][0]] and demo["minus"] == [11]


def test_arithmetic_is_the_affine_combination_rescaled():
    gen = PersonPipeline("tiny", tiny_generator(), "x", None)
    z = gen.arithmetic_z([1, 2], [3], 1.0)[0]
    a, b, c = z_for_seeds([1, 2, 3], gen.z_dim)
    expected = a + b - c
    assert torch.allclose(z / z.norm(), expected / expected.norm(), atol=1e-6)
    assert z.norm().item() == pytest.approx(torch.stack([a, b, c]).norm(dim=1).mean().item(), rel=1e-5)
    with pytest.raises(ParamError):
        gen.arithmetic_z([1], [2, 3], 1.0)
    with pytest.raises(ParamError):
        gen.edited_z(a[None], {"Smiling": 1.0})  # no directions installed

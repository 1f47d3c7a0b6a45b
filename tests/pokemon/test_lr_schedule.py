"""The diffusion learning-rate rule: warm-up, plateau, and the optional linear decay to a floor."""

from __future__ import annotations

import pytest

from genstudio.diffusion.train import DiffusionOptim, lr_rule, warmup_lambda
from genstudio.training.loop import TrainConfig
from genstudio.training.sections import parse_section


def test_warmup_then_constant_without_decay():
    rule = warmup_lambda(10)
    assert rule(0) == pytest.approx(0.1) and rule(9) == 1.0 and rule(10_000) == 1.0


def test_decay_reaches_the_floor_at_the_last_step_and_stays_there():
    optim = parse_section(DiffusionOptim, {"warmup": 10, "decay_from": 600, "lr_floor": 0.2}, "optim")
    rule = lr_rule(optim, TrainConfig(family="pokemon", name="x", steps=1000))
    assert rule(599) == 1.0
    assert rule(800) == pytest.approx(0.6)  # halfway down from 1 to 0.2
    assert rule(1000) == pytest.approx(0.2) and rule(1500) == pytest.approx(0.2)
    assert all(rule(s) >= rule(s + 1) for s in range(10, 1200))


def test_continuing_shipped_weights_warms_up_again_from_their_step_and_keeps_the_decay():
    optim = parse_section(DiffusionOptim, {"warmup": 10, "decay_from": 600, "lr_floor": 0.2}, "optim")
    rule = lr_rule(optim, TrainConfig(family="pokemon", name="x", steps=1000, start_step=700))
    assert rule(700) == pytest.approx(0.1 * 0.8)  # a fresh optimiser's first step, a quarter down the decay
    assert rule(709) == pytest.approx(1 - 0.8 * 109 / 400)
    assert rule(1000) == pytest.approx(0.2)

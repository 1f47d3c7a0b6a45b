"""Typed training configs: a typo or a wrong type in any family's section stops the run before it starts,
with a message that names the key; every config in configs/ parses for its family."""

from __future__ import annotations

from pathlib import Path

import pytest
from accelerate import Accelerator

from genstudio.training import FAMILIES
from genstudio.training.loop import TrainConfig, load_task
from genstudio.training.sections import ConfigError, parse_section
from genstudio.wgan.train import WganModel

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("config", sorted(p.name for p in (REPO / "configs").glob("*.yaml")))
def test_every_shipped_config_parses_for_its_family(config):
    cfg = TrainConfig.from_yaml(REPO / "configs" / config)
    task = load_task(cfg.family)
    for name in ("model", "optim", "data", "extra"):
        parse_section(getattr(task, name.capitalize()), getattr(cfg, name), name)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_typo_stops_every_family_before_any_work(family, tmp_path):
    cfg = TrainConfig(family=family, name="typo", steps=1, data_root=str(tmp_path / "nowhere"),
                      optim={"warmpu": 10})
    with pytest.raises(ConfigError, match="optim: unknown key warmpu"):
        load_task(family)(cfg, Accelerator(cpu=True))  # fails before touching the (missing) data


def test_wrong_types_and_nested_sections_are_checked():
    with pytest.raises(ConfigError, match="model.width: expected an integer"):
        parse_section(WganModel, {"width": "wide"}, "model")
    with pytest.raises(ConfigError, match="model.grow: unknown key fade"):
        parse_section(WganModel, {"grow": {"fade": 10}}, "model")
    model = parse_section(WganModel, {"grow": {"fade_steps": 10}, "z_dim": 64}, "model")
    assert model.grow.fade_steps == 10 and model.grow.width == 48 and model.z_dim == 64

"""The shared training loop: resume gives the same result as an uninterrupted run, exports and logs."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from genstudio import weights
from genstudio.training.loop import TrainConfig, Trainer
from tests.training.toy_tasks import LineTask

REPO = Path(__file__).resolve().parents[2]


def make_cfg(tmp_path: Path, name: str, **extra) -> TrainConfig:
    return TrainConfig(
        family="line", name=name, steps=30, lr=0.05, run_dir=str(tmp_path / name),
        export_dir=str(tmp_path / "export" / name), checkpoint_every=7, sample_every=10, log_every=5,
        ema_decay=0.9, extra=extra,
    )


def final_params(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in trainer.task.sampling_module("net").parameters()]


def test_interrupted_and_resumed_run_matches_uninterrupted(tmp_path):
    straight = Trainer(LineTask, make_cfg(tmp_path, "straight"))
    assert straight.train() == 30

    first = Trainer(LineTask, make_cfg(tmp_path, "resumed", interrupt_at=12))
    assert first.train(export=False) == 13  # stops after the step in flight, checkpoint written
    assert (tmp_path / "resumed" / "checkpoint.pt").is_file()
    second = Trainer(LineTask, make_cfg(tmp_path, "resumed"))
    assert second.train() == 30

    for a, b in zip(final_params(straight), final_params(second), strict=True):
        torch.testing.assert_close(a, b)
    loss = torch.nn.functional.mse_loss(second.task.sampling_module("net")(torch.zeros(1, 1)), torch.tensor([[-1.0]]))
    assert loss < 0.5


def test_export_log_and_samples(tmp_path):
    trainer = Trainer(LineTask, make_cfg(tmp_path, "run"))
    trainer.train()
    export = tmp_path / "export" / "run"
    assert (export / "model.safetensors").is_file() and (export / "samples.png").is_file()
    with open(tmp_path / "run" / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [5, 10, 15, 20, 25, 30]
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == [
        "step_0000010.png", "step_0000020.png", "step_0000030.png"]
    os.environ["GENSTUDIO_WEIGHTS"] = str(tmp_path / "export")
    try:
        loaded = weights.load("run")
    finally:
        del os.environ["GENSTUDIO_WEIGHTS"]
    assert loaded.config == {"step": 30} and len(loaded.checkpoint) == 12


def test_slow_ema_joins_a_run_in_progress_and_is_exported_beside(tmp_path):
    Trainer(LineTask, make_cfg(tmp_path, "run", interrupt_at=12)).train(export=False)
    cfg = make_cfg(tmp_path, "run")
    cfg.ema_decay, cfg.ema_slow_decay = 0.3, 0.6  # both under the EMA's warm-up cap (0.6 after 13 updates)
    resumed = Trainer(LineTask, cfg)
    assert resumed.load_checkpoint()
    for slow, fast in zip(resumed.slow_ema["net"].module.parameters(), final_params(resumed), strict=True):
        torch.testing.assert_close(slow, fast)  # starts from the EMA it is compared with, not from scratch
    assert resumed.train() == 30

    fast = load_file(tmp_path / "export" / "run" / "model.safetensors")
    slow = load_file(tmp_path / "export" / "run-slow" / "model.safetensors")
    live = resumed.accelerator.unwrap_model(resumed.task.modules["net"]).state_dict()
    assert fast.keys() == slow.keys()
    def lag(averaged):  # how far averaged weights trail the live ones
        return sum(float((averaged[k] - live[k]).abs().sum()) for k in live)

    assert lag(slow) > lag(fast) > 0
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)
    assert state["ema_slow"]["net"]["updates"] == state["ema"]["net"]["updates"]


def test_unknown_config_key_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("family: line\nname: x\nsteps: 1\nlearning_rate: 3\n")
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig.from_yaml(path)


def test_a_config_states_only_what_it_changes_from_its_base(tmp_path):
    (tmp_path / "base.yaml").write_text("family: line\nname: a\nsteps: 10\nlr: 0.1\n"
                                        "extra: {start: 1.0, slope: 2.0}\noptim: {warmup: 5}\n")
    (tmp_path / "arm.yaml").write_text("base: base.yaml\nsteps: 20\nextra: {slope: 3.0}\n")
    cfg = TrainConfig.from_yaml(tmp_path / "arm.yaml", {"steps": 30})
    assert (cfg.name, cfg.steps, cfg.lr) == ("a", 30, 0.1)
    assert cfg.extra == {"start": 1.0, "slope": 3.0} and cfg.optim == {"warmup": 5}
    (tmp_path / "base.yaml").write_text("base: arm.yaml\nfamily: line\n")
    with pytest.raises(ValueError, match="in a loop"):
        TrainConfig.from_yaml(tmp_path / "arm.yaml")


@pytest.mark.slow
def test_two_process_training_on_cpu_with_gloo(tmp_path):
    """The same CLI under torchrun: two CPU processes (gloo) train one model in sync and export once."""
    config = tmp_path / "line.yaml"
    config.write_text(
        f"family: tests.training.toy_tasks:LineTask\nname: ddp\nsteps: 12\nlr: 0.05\nbatch_size: 8\n"
        f"checkpoint_every: 6\nsample_every: 100\nlog_every: 3\nrun_dir: {tmp_path / 'run'}\n"
        f"export_dir: {tmp_path / 'export'}\nthreads: 1\n"
    )
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "genstudio", "train", "tests.training.toy_tasks:LineTask", "--config", str(config)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "stopped at step 12/12" in done.stdout
    assert (tmp_path / "run" / "rng_0.pt").is_file() and (tmp_path / "run" / "rng_1.pt").is_file()
    tensors = load_file(str(tmp_path / "export" / "model.safetensors"))
    assert tensors and all(torch.isfinite(t).all() for t in tensors.values())

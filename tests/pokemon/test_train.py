"""The training pipeline on tiny configs and a handful of real images: train → export → sample, checkpoint
round-trip, and resume after the process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from genstudio.training.loop import TrainConfig, Trainer, load_task

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("GENSTUDIO_DATA", REPO.parent / "shared" / "datasets"))
pytestmark = pytest.mark.skipif(not (DATA / "pokemon" / "labels.csv").is_file(),
                                reason="needs the shared Pokémon dataset (../shared/datasets/pokemon)")


def config(name: str, tmp: Path, **overrides) -> TrainConfig:
    paths = {"data_root": str(DATA), "run_dir": str(tmp / "runs" / name)}
    return TrainConfig.from_yaml(REPO / "configs" / name, {**paths, **overrides})


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A tiny autoencoder, then a tiny diffusion model on top of it, exported into a temp weights root."""
    tmp = tmp_path_factory.mktemp("train")
    env = {"GENSTUDIO_WEIGHTS": str(tmp / "weights"), "GENSTUDIO_CACHE": str(tmp / "cache")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        Trainer(load_task("pokemon-autoencoder"), config("pokemon-autoencoder-tiny.yaml", tmp)).train()
        trainer = Trainer(load_task("pokemon"), config("pokemon-tiny.yaml", tmp))
        assert trainer.train() == 6
        yield tmp
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_train_export_and_sample(trained, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(trained / "weights"))
    from genstudio.diffusion.model import PokemonModel

    for name in ("pokemon-autoencoder-tiny", "pokemon-tiny"):
        folder = trained / "weights" / name
        assert {"model.safetensors", "config.json", "README.md", "samples.png"} <= {p.name for p in folder.iterdir()}
        assert "| steps | 6 of 6 configured |" in (folder / "README.md").read_text()
    assert (trained / "runs" / "pokemon-tiny.yaml" / "samples" / "step_0000003.png").is_file()
    model = PokemonModel.load("pokemon-tiny")
    previews = []
    images = model.generate("fire", [1, 2], "dpm++", 4, 3.0, on_preview=lambda f, im: previews.append(f))
    assert [im.size for im in images] == [(32, 32), (32, 32)]
    assert previews and previews[-1] == 1.0
    again = model.generate("fire", [1, 2], "dpm++", 4, 3.0)
    assert images[0].tobytes() == again[0].tobytes()


def test_checkpoint_round_trip(trained, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(trained / "weights"))
    cfg = config("pokemon-tiny.yaml", trained)  # the run dir holds the checkpoint of the 6 steps above
    first = Trainer(load_task("pokemon"), cfg)
    assert first.load_checkpoint() and first.step == 6
    second = Trainer(load_task("pokemon"), cfg)
    second.load_checkpoint()
    for a, b in zip(first.task.modules["unet"].parameters(), second.task.modules["unet"].parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(first.task.ema["unet"].module.parameters(), second.task.ema["unet"].module.parameters(),
                    strict=True):
        assert torch.equal(a, b)
    opt_a, opt_b = first.task.optimizers["unet"].state_dict(), second.task.optimizers["unet"].state_dict()
    assert opt_a["state"][0]["step"] == opt_b["state"][0]["step"] == 6
    assert first.task.schedulers["unet"].state_dict()["last_epoch"] == 6
    assert first.task.rng.bit_generator.state == second.task.rng.bit_generator.state


def test_init_from_shipped_weights(trained, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(trained / "weights"))
    from genstudio import weights
    from genstudio.diffusion.unet import unet_state

    cfg = config("pokemon-tiny.yaml", trained, run_dir=str(trained / "runs" / "continued"),
                 extra={"init_from": "pokemon-tiny"})
    trainer = Trainer(load_task("pokemon"), cfg)
    live = unet_state(weights.load("pokemon-tiny").tensors, prefer_live=True)
    for key, value in trainer.task.modules["unet"].state_dict().items():
        assert torch.equal(value, live[key])
    trainer.start_fresh()  # no checkpoint: the EMA is seeded with the shipped average, not the live weights
    assert trainer.step == 0
    ema = unet_state(weights.load("pokemon-tiny").tensors)
    assert any(not torch.equal(ema[k], live[k]) for k in ema)
    for key, value in trainer.task.ema["unet"].module.state_dict().items():
        assert torch.equal(value, ema[key])


def test_continue_from_carries_the_shipped_step_schedule_and_ema_on(trained, monkeypatch):
    """`genstudio train --continue-from NAME` on a machine with no checkpoint: the count goes on from the
    shipped step (not 0), the learning rate warms up again from there, and the EMA starts as the shipped
    average, not as the live weights."""
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(trained / "weights"))
    from click.testing import CliRunner

    from genstudio import weights
    from genstudio.diffusion.unet import unet_state
    from genstudio.training.cli import train_cmd

    shipped = weights.load("pokemon-tiny")
    assert shipped.config["step"] == 6
    cfg = config("pokemon-tiny.yaml", trained, run_dir=str(trained / "runs" / "more"), steps=9,
                 extra={"init_from": "pokemon-tiny"}, start_step=6)
    trainer = Trainer(load_task("pokemon"), cfg)
    trainer.start_fresh()
    assert trainer.step == 6
    assert trainer.task.optimizers["unet"].param_groups[0]["lr"] == pytest.approx(cfg.lr / 2)  # warm-up 2
    ema, live = unet_state(shipped.tensors), unet_state(shipped.tensors, prefer_live=True)
    assert any(not torch.equal(ema[k], live[k]) for k in ema)
    for key, value in trainer.task.ema["unet"].module.state_dict().items():
        assert torch.equal(value, ema[key])

    args = ["pokemon", "--config", str(REPO / "configs" / "pokemon-tiny.yaml"), "--steps", "8",
            "--data-root", str(DATA), "--run-dir", str(trained / "runs" / "cli-more"),
            "--export-dir", str(trained / "weights" / "tiny-more"), "--continue-from", "pokemon-tiny"]
    (trained / "weights" / "pokemon-tiny" / "history.json").write_text('[{"steps": 6, "wall_time_h": 2.0}]')
    result = CliRunner().invoke(train_cmd, args)
    assert result.exit_code == 0, result.output
    assert "stopped at step 8/8" in result.output
    first = (trained / "runs" / "cli-more" / "log.csv").read_text().splitlines()[1].split(",")
    assert first[0] == "7" and 7200 < float(first[1]) < 7260  # the card's wall time goes on from 2 h
    assert weights.load("tiny-more").config["step"] == 8
    missing = CliRunner().invoke(train_cmd, args[:-1] + ["no-such-model"])
    assert missing.exit_code != 0 and "no installed model 'no-such-model'" in missing.output


def test_style_conditioned_model_starts_from_a_type_only_one_and_learns_styles(trained, monkeypatch):
    """A style-conditioned model started from a type-only one draws, before any training, exactly what the
    type-only model drew for every style; its training labels carry the image's style unless dropped; it
    exports its styles, and sampling knows them (and refuses one it does not)."""
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(trained / "weights"))
    from genstudio.data.pokemon import ANY, STYLES
    from genstudio.diffusion.model import PokemonModel
    from genstudio.diffusion.pipeline import sample_latents
    from genstudio.diffusion.unet import NUM_CLASSES, class_label

    data = {"subset": "art", "limit": 24, "refresh": 2, "label_dropout": 0.2, "styles": True}
    cfg = config("pokemon-tiny.yaml", trained, run_dir=str(trained / "runs" / "styled"), data=data,
                 extra={"init_from": "pokemon-tiny"})
    cfg.name = "pokemon-styled"
    trainer = Trainer(load_task("pokemon"), cfg)
    unet = trainer.task.modules["unet"].eval()
    plain = sample_latents(unet, [1, ANY], [3, 4], "ddim", 3, guidance=2.0)
    for style in STYLES:
        styled = sample_latents(unet, [class_label(1, style, STYLES), class_label(ANY, style, STYLES)], [3, 4],
                                "ddim", 3, guidance=2.0)
        assert torch.allclose(plain, styled)

    task = trainer.task
    labels = task.labels(torch.arange(len(task.style)))
    slots, types = labels // NUM_CLASSES, labels % NUM_CLASSES
    assert set(slots.tolist()) <= {0, 1, 2, 3} and (types <= ANY).all()
    kept = slots > 0
    assert kept.any() and torch.equal(slots[kept] - 1, task.style[kept])

    assert trainer.train() == 6
    model = PokemonModel.load("pokemon-styled")
    assert model.styles == STYLES
    assert model.generate("fire", [1], "dpm++", 3, 3.0, style="home")[0].size == (32, 32)
    with pytest.raises(ValueError, match="unknown style"):
        model.generate("fire", [1], "dpm++", 3, 3.0, style="watercolour")
    assert PokemonModel.load("pokemon-tiny").styles == ()


def test_cli_resumes_after_a_kill(trained):
    env = {**os.environ, "GENSTUDIO_WEIGHTS": str(trained / "weights"), "GENSTUDIO_CACHE": str(trained / "cache"),
           "OMP_NUM_THREADS": "1"}
    run = trained / "runs" / "killed"
    cmd = [str(Path(sys.executable).parent / "genstudio"), "train", "pokemon",
           "--config", str(REPO / "configs" / "pokemon-tiny.yaml"), "--data-root", str(DATA),
           "--run-dir", str(run), "--export-dir", str(trained / "weights" / "killed"), "--threads", "1"]
    proc = subprocess.Popen([*cmd, "--steps", "100000"], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not (run / "checkpoint.pt").is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)  # no chance to save: the periodic checkpoint is all that survives
    proc.wait(timeout=30)
    step = torch.load(run / "checkpoint.pt", weights_only=False)["step"]
    assert step >= 3 and step % 3 == 0
    out = subprocess.run([*cmd, "--steps", str(step + 2), "--no-export"], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"resumed pokemon-tiny from step {step}" in out.stdout + out.stderr
    assert torch.load(run / "checkpoint.pt", weights_only=False)["step"] == step + 2


def test_decoder_only_finetune_keeps_the_latent_space(trained, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(trained / "weights"))
    from genstudio import weights

    base = config("pokemon-autoencoder-tiny.yaml", trained)
    cfg = TrainConfig(**{**base.as_dict(), "name": "ae-decoder", "run_dir": str(trained / "runs" / "dec"),
                         "steps": 4, "optim": {**base.optim, "train_only": "decoder"},
                         "extra": {"init_from": "pokemon-autoencoder-tiny"}})
    assert Trainer(load_task("pokemon-autoencoder"), cfg).train() == 4
    before, after = weights.load("pokemon-autoencoder-tiny").tensors, weights.load("ae-decoder").tensors
    kept = [k for k in before if k.startswith("encoder.") or k.startswith("latent_")]
    assert kept and all(torch.equal(before[k], after[k]) for k in kept)
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith("decoder."))
    with pytest.raises(ValueError, match="init_from"):
        Trainer(load_task("pokemon-autoencoder"),
                TrainConfig(**{**base.as_dict(), "optim": {**base.optim, "train_only": "decoder"}}))


def test_adversarial_decoder_finetune_trains_a_critic_and_keeps_the_latent_space(trained, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(trained / "weights"))
    import csv

    from genstudio import weights

    base = config("pokemon-autoencoder-tiny.yaml", trained)
    run = trained / "runs" / "dec-gan"
    optim = {**base.optim, "train_only": "decoder", "adv_weight": 0.05, "adv_from": 2, "critic_width": 8}
    cfg = TrainConfig(**{**base.as_dict(), "name": "ae-decoder-gan", "run_dir": str(run), "steps": 4,
                         "log_every": 1, "optim": optim, "extra": {"init_from": "pokemon-autoencoder-tiny"}})
    assert Trainer(load_task("pokemon-autoencoder"), cfg).train() == 4
    with open(run / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    critic_losses = [float(r["loss_d"]) for r in rows]
    assert critic_losses[:1] == [0.0] and all(v > 0 for v in critic_losses[2:])  # the critic joins at adv_from
    checkpoint = torch.load(run / "checkpoint.pt", weights_only=False)
    assert any("critic" in k for k in checkpoint["modules"])  # resumable with its critic
    before, after = weights.load("pokemon-autoencoder-tiny").tensors, weights.load("ae-decoder-gan").tensors
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith(("encoder.", "latent_")))
    assert not any(k.startswith("critic") or ".net." in k for k in after)  # the shipped file holds no critic


def test_an_export_into_a_carded_folder_keeps_its_notes_and_yardstick(tmp_path):
    """Continuing a shipped model exports into a copy of its folder: the hand-written notes and the measured
    yardstick stay, the training facts are written anew."""
    from genstudio.diffusion.card import write_card
    from genstudio.yardstick.cards import write_section

    cfg = TrainConfig(family="pokemon", name="carded", steps=10, run_dir=str(tmp_path / "run"))
    folder = tmp_path / "carded"
    folder.mkdir()
    (folder / "README.md").write_text("# carded\n\n<!-- notes -->\nLooked at: blobs.\n<!-- /notes -->\n")
    write_section(folder / "README.md", "| FID | 34.7 |")
    write_card(folder, cfg, {"step": 7}, "diffusion")
    card = (folder / "README.md").read_text()
    assert "Looked at: blobs." in card and "| steps | 7 of 10 configured |" in card
    assert card.count("<!-- yardstick -->") == 1 and "| FID | 34.7 |" in card
    write_section(folder / "README.md", "| FID | 33.0 |")  # measuring again replaces it, once
    card = (folder / "README.md").read_text()
    assert card.count("## Yardstick") == 1 and "33.0" in card and "34.7" not in card

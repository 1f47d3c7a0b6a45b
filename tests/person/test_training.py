"""The three training tasks (WGAN-GP, attribute classifier, 2-D latent map) through the shared loop on a
tiny fake CelebA folder: steps run, checkpoints resume, exports load by name, cards and points are written,
and the WGAN continues from shipped weights (extra.init_from)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from genstudio.classifier import load_classifier
from genstudio.data.celeba import ATTRIBUTES, is_validation_identity
from genstudio.latentmap import load_latentmap
from genstudio.training.loop import TrainConfig, Trainer, load_task
from genstudio.wgan.model import load_generator


@pytest.fixture
def fake_data(tmp_path: Path, monkeypatch) -> Path:
    """24 random 20x20 'faces' in the CelebA layout, people split so both train and val exist."""
    monkeypatch.setenv("GENSTUDIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path / "weights"))
    root = tmp_path / "data" / "celeba"
    (root / "images").mkdir(parents=True)
    val_ids = [i for i in range(1, 500) if is_validation_identity(i)][:2]
    train_ids = [i for i in range(1, 500) if not is_validation_identity(i)][:4]
    rng = np.random.default_rng(0)
    with open(root / "attributes.csv", "w", newline="") as fa, open(root / "identities.csv", "w", newline="") as fi, \
            open(root / "sources.csv", "w", newline="") as fs:
        wa, wi, ws = csv.writer(fa), csv.writer(fi), csv.writer(fs)
        wa.writerow(["image", *ATTRIBUTES])
        wi.writerow(["image", "celeba_identity"])
        ws.writerow(["image", "resample"])
        for k in range(24):
            name = f"{k + 1:06d}.jpg"
            Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(root / "images" / name)
            wa.writerow([name, *rng.integers(0, 2, len(ATTRIBUTES))])
            wi.writerow([name, (val_ids + train_ids)[k % 6]])
            ws.writerow([name, "down" if k % 4 else "up"])  # a quarter are "soft" (up-sampled) photos
    return tmp_path


def config(tmp: Path, family: str, name: str, steps: int, **over) -> TrainConfig:
    base = dict(family=family, name=name, steps=steps, batch_size=4, data_root=str(tmp / "data"),
                run_dir=str(tmp / "runs" / name), checkpoint_every=100, sample_every=100, log_every=1, threads=1)
    base.update(over)
    return TrainConfig(**base)


def test_wgan_trains_resumes_exports_and_continues_from_weights(fake_data):
    model = {"z_dim": 8, "width": 4, "critic_width": 4, "resolution": 16}
    cfg = config(fake_data, "person", "person-wgan", 2, model=model, optim={"n_critic": 2})
    trainer = Trainer(load_task("person"), cfg)
    assert trainer.train() == 2
    log = (Path(cfg.run_dir) / "log.csv").read_text().splitlines()
    assert log[0].split(",")[2:] == ["loss_d", "wdist", "gp", "loss_g"] and len(log) == 3
    g, checkpoint, conf = load_generator("person-wgan")
    assert conf["resolution"] == 16 and conf["training"]["steps"] == 2 and len(checkpoint) == 12
    assert g(torch.randn(2, 8)).shape == (2, 3, 16, 16)
    assert Image.open(fake_data / "weights" / "person-wgan" / "samples.png").size[0] > 8 * 16

    cfg3 = config(fake_data, "person", "person-wgan", 3, model=model, optim={"n_critic": 2})
    resumed = Trainer(load_task("person"), cfg3)
    assert resumed.load_checkpoint() and resumed.step == 2
    assert resumed.train() == 3

    shipped = load_generator("person-wgan")[0].state_dict()
    cont = config(fake_data, "person", "person-wgan-more", 1, model=model, optim={"n_critic": 2},
                  extra={"init_from": "person-wgan"}, ema_decay=0.9999)
    more = Trainer(load_task("person"), cont)
    live = more.task.modules["generator"].state_dict()
    assert all(torch.allclose(live[k].float(), shipped[k].float(), atol=1e-2) for k in shipped
               if k.endswith("weight"))
    more.train()
    ema = more.task.ema["generator"].module.state_dict()  # started from the shipped EMA, moved a hair
    assert all(torch.allclose(ema[k].float(), shipped[k].float(), atol=1e-2) for k in shipped if k.endswith("weight"))


def test_wgan_grows_to_twice_the_resolution_keeping_the_base(fake_data):
    """Progressive growing: a 8 px model grows to 16 px; at alpha 0 the grown network draws the base's faces
    (up-sampled), the new layers fade in over fade_steps, and the export loads back as a 16 px generator."""
    base_model = {"z_dim": 8, "width": 4, "critic_width": 4, "resolution": 8}
    Trainer(load_task("person"), config(fake_data, "person", "person-wgan", 1, model=base_model,
                                        optim={"n_critic": 1})).train()
    base, _, _ = load_generator("person-wgan")
    grown_model = {**base_model, "grow": {"width": 4, "critic_width": 4, "fade_steps": 4}}
    cfg = config(fake_data, "person", "person-wgan16", 2, model=grown_model, optim={"n_critic": 1},
                 extra={"init_from": "person-wgan"})
    trainer = Trainer(load_task("person"), cfg)
    g = trainer.task.modules["generator"].eval()
    z = torch.randn(3, 8)
    with torch.no_grad():
        up = torch.nn.functional.interpolate(trainer.task.modules["generator"].base(z), scale_factor=2)
        assert float(g.alpha) == 0.0 and torch.allclose(g(z), up, atol=1e-6)
    assert trainer.train() == 2
    with open(Path(cfg.run_dir) / "log.csv") as fh:
        log = list(csv.DictReader(fh))
    assert [float(r["alpha"]) for r in log] == [0.0, 0.25]  # alpha at the start of steps 0 and 1
    grown, _, conf = load_generator("person-wgan16")
    assert conf["resolution"] == 16 and conf["base_resolution"] == 8
    assert grown(torch.randn(2, 8)).shape == (2, 3, 16, 16)


def test_upsampler_starts_as_bicubic_trains_on_sharp_photos_and_loads(fake_data):
    import torch.nn.functional as F

    from genstudio.upsampler.model import load_upsampler

    cfg = config(fake_data, "upsampler", "person-upsampler", 3, model={"width": 8, "blocks": 1, "critic_width": 8},
                 optim={"adv_weight": 0.01, "adv_from": 1}, data={"val_images": 4})
    trainer = Trainer(load_task("upsampler"), cfg)
    assert len(trainer.task.images) == 12  # the train split's sharp photos only (soft ones left out)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        bicubic = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False).clamp(-1, 1)
        assert torch.allclose(trainer.task.modules["upsampler"](x), bicubic)  # zero-initialised residual
    assert trainer.train() == 3
    with open(Path(cfg.run_dir) / "log.csv") as fh:
        log = list(csv.DictReader(fh))
    assert [float(r["loss_d"]) == 0 for r in log] == [True, False, False]  # the critic joins at adv_from
    up = load_upsampler("person-upsampler")
    assert up(x).shape == (2, 3, 32, 32)
    config_json = json.loads((fake_data / "weights" / "person-upsampler" / "config.json").read_text())
    assert {"val_psnr", "bicubic_psnr"} <= set(config_json["training"]["validation"])


def test_classifier_trains_and_reports_held_out_accuracy(fake_data):
    cfg = config(fake_data, "classifier", "face-attributes", 3, model={"width": 4, "image_size": 16},
                 optim={"warmup": 1})
    Trainer(load_task("classifier"), cfg).train()
    clf = load_classifier("face-attributes")
    assert clf.attributes == ATTRIBUTES
    assert clf(torch.zeros(2, 3, 64, 64)).shape == (2, 40)  # other sizes are resized inside
    conf = json.loads((fake_data / "weights" / "face-attributes" / "config.json").read_text())
    val = conf["training"]["validation"]
    assert val["images"] == 8 and set(val["per_attribute"]) == set(ATTRIBUTES)
    card = (fake_data / "weights" / "face-attributes" / "README.md").read_text()
    assert "| Eyeglasses (key) |" in card and "held out" in card


def test_latent_map_trains_and_ships_points(fake_data):
    cfg = config(fake_data, "latentmap", "latentmap-faces", 2, model={"resolution": 32, "width": 4, "hidden": 8},
                 data={"map_points": 10})
    Trainer(load_task("latentmap"), cfg).train()
    lm = load_latentmap("latentmap-faces")
    assert len(lm.points["x"]) == 10 and len(lm.points["labels"]["Male"]) == 10
    x0, x1, y0, y1 = lm.points["extent"]
    assert x0 < min(lm.points["x"]) and max(lm.points["y"]) < y1
    assert lm.model.decode(torch.zeros(1, 2)).shape == (1, 3, 32, 32)


def test_oversampling_draws_faces_with_the_attribute_that_much_more_often():
    from genstudio.wgan.train import sampling_weights

    labels = np.zeros((1000, 2), np.float32)
    labels[:50, 0] = 1  # 5 % wear glasses
    p = sampling_weights(labels, ("Eyeglasses", "Male"), {"Eyeglasses": 4.0})
    assert p.sum() == pytest.approx(1.0)
    assert p[0] == pytest.approx(4 * p[-1])
    assert p[:50].sum() == pytest.approx(200 / 1150)  # 5 % of faces, drawn ~17 % of the time
    assert np.allclose(sampling_weights(labels, ("Eyeglasses", "Male"), {}), 1 / 1000)
    with pytest.raises(ValueError, match="Wearing_Monocle"):
        sampling_weights(labels, ("Eyeglasses", "Male"), {"Wearing_Monocle": 2.0})


def test_wgan_resumed_with_init_from_keeps_the_checkpoints_ema(fake_data):
    """A campaign that continues shipped weights (extra.init_from) and is interrupted: on resume the EMA goes
    on from the checkpoint's average, not from the shipped one again (the shipped EMA seeds only a fresh run)."""
    model = {"z_dim": 8, "width": 4, "critic_width": 4, "resolution": 16}
    Trainer(load_task("person"), config(fake_data, "person", "person-wgan", 1, model=model,
                                        optim={"n_critic": 1})).train()
    over = dict(model=model, optim={"n_critic": 1}, extra={"init_from": "person-wgan"}, ema_decay=0.5, lr=0.05)
    first = Trainer(load_task("person"), config(fake_data, "person", "person-wgan-more", 2, **over))
    first.train()
    saved = {k: v.clone() for k, v in first.task.ema["generator"].module.state_dict().items()}
    shipped = load_generator("person-wgan")[0].state_dict()
    assert any(not torch.allclose(saved[k], shipped[k].float(), atol=1e-3) for k in shipped)

    resumed = Trainer(load_task("person"), config(fake_data, "person", "person-wgan-more", 3, **over))
    assert resumed.train() == 3
    live = resumed.task.modules["generator"].state_dict()
    ema = resumed.task.ema["generator"]
    for name, value in ema.module.named_parameters():  # one update at decay 0.5 from the checkpoint's average
        assert torch.allclose(value, 0.5 * saved[name] + 0.5 * live[name], atol=1e-6), name

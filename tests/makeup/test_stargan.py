"""StarGAN parts: networks, target sampling, losses, a tiny training run through the shared loop with
export and continuation from shipped weights, and the editor's 'change only what was asked' rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from genstudio import weights
from genstudio.stargan.editor import Request, StarGanEditor
from genstudio.stargan.networks import ATTRIBUTES, HAIR, Discriminator, Generator, build
from genstudio.stargan.train import gradient_penalty, grid_targets, sample_targets
from genstudio.training.loop import TrainConfig, Trainer, load_task

from .conftest import TINY

DATA_ROOT = Path(os.environ.get("GENSTUDIO_DATA", Path(__file__).resolve().parents[3] / "shared" / "datasets"))


def test_shapes_and_residual_identity_at_start():
    g = Generator(7, 8, 1, residual=True, edge_kernel=3)
    d = Discriminator(32, 7, 8, 3, max_dim=64)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    c = torch.zeros(2, 7)
    out = g(x, c)
    assert out.shape == x.shape
    torch.testing.assert_close(out, x.clamp(-0.995, 0.995), atol=1e-5, rtol=0)  # zero-initialised last layer
    src, cls = d(x)
    assert src.shape == (2, 1, 4, 4) and cls.shape == (2, 7)


def test_sample_targets_change_something_and_keep_one_hair_colour():
    torch.manual_seed(0)
    c = (torch.rand(256, len(ATTRIBUTES)) > 0.5).float()
    c[:, :4] = torch.nn.functional.one_hot(torch.randint(4, (256,)), 4).float()
    t = sample_targets(c, ATTRIBUTES, 0.4)
    hair = [ATTRIBUTES.index(h) for h in HAIR]
    assert (t[:, hair].sum(1) == 1).all()
    changed_groups = (t[:, hair] != c[:, hair]).any(1).float() + (t[:, 4:] != c[:, 4:]).float().sum(1)
    assert (changed_groups >= 1).float().mean() > 0.9  # a new hair colour may equal the old one, rarely
    assert ((t[:, 4:] == c[:, 4:]).float().mean()) > 0.4  # most attributes are kept


def test_grid_targets_one_edit_each():
    c = torch.tensor([[1.0, 0, 0, 0, 0, 1, 1]])
    targets = grid_targets(c, ATTRIBUTES)
    assert len(targets) == len(ATTRIBUTES)
    assert targets[1].tolist() == [[0, 1, 0, 0, 0, 1, 1]]  # blond, the rest kept
    assert targets[5].tolist() == [[1, 0, 0, 0, 0, 0, 1]]  # Male flipped


def test_gradient_penalty_is_zero_for_unit_gradient_critic():
    class Linear(torch.nn.Module):
        def forward(self, x):
            return (x.flatten(1) * (1 / x[0].numel() ** 0.5)).sum(1, keepdim=True), None

    x = torch.rand(4, 3, 8, 8)
    assert gradient_penalty(Linear(), x, torch.rand_like(x)).item() < 1e-10


def test_editor_changes_only_what_was_asked():
    g, d = build(TINY)
    editor = StarGanEditor(g, d, TINY)
    probs = torch.tensor([[0.2, 0.7, 0.6, 0.1, 0.9, 0.3, 0.8]])
    src = editor.source_labels(probs)
    assert src.tolist() == [[0, 1, 0, 0, 1, 0, 1]]  # one hair colour: the likeliest
    trg = editor.target_labels(src, Request(hair="Black_Hair"))
    assert trg.tolist() == [[1, 0, 0, 0, 1, 0, 1]]
    trg = editor.target_labels(src, Request(set={"Young": 0.0}))
    assert trg.tolist() == [[0, 1, 0, 0, 1, 0, 0]]
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert editor.change(x, src, src).abs().max() == 0  # asking for nothing changes nothing


@pytest.mark.skipif(not (DATA_ROOT / "celeba" / "attributes.csv").is_file(), reason="shared CelebA not present")
def test_tiny_training_run_exports_and_continues(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("GENSTUDIO_CACHE", str(tmp_path / "cache"))
    model = {k: v for k, v in TINY.items() if k != "attributes"}
    cfg = TrainConfig(family="makeup", name="makeup-tiny", steps=2, batch_size=4, data_root=str(DATA_ROOT),
                      run_dir=str(tmp_path / "run"), checkpoint_every=1, sample_every=1, log_every=1,
                      model=model, data={"limit": 24, "jitter": 1}, optim={"n_critic": 2},
                      extra={"lambda_adv": 4.0})
    trainer = Trainer(load_task("makeup"), cfg)
    assert trainer.train() == 2
    folder = tmp_path / "weights" / "makeup-tiny"
    assert (folder / "samples.png").is_file() and (tmp_path / "run" / "samples" / "step_0000001.png").is_file()
    loaded = weights.load("makeup-tiny")
    assert loaded.config["image_size"] == 32 and any(k.startswith("D.") for k in loaded.tensors)
    editor = StarGanEditor.from_weights("makeup-tiny")
    assert editor.size == 32
    # a later session continues from the shipped weights (fp16 in the file) under a new run
    cfg2 = TrainConfig(**{**cfg.as_dict(), "name": "makeup-tiny2", "run_dir": str(tmp_path / "run2"),
                          "extra": {"init_from": "makeup-tiny"}})
    task = Trainer(load_task("makeup"), cfg2).task
    for k, v in task.accelerator.unwrap_model(task.modules["G"]).state_dict().items():
        torch.testing.assert_close(v, loaded.tensors[f"G.{k}"].float(), atol=1e-3, rtol=1e-3)

    # ... or at a larger image size: every tensor carries over, the critic's classifier kernel (size / 16)
    # resampled to its new size (twice as wide) with the same total weight
    big = {**cfg.as_dict(), "name": "makeup-tiny64", "run_dir": str(tmp_path / "run3"),
           "model": {**model, "image_size": 64}, "extra": {"init_from": "makeup-tiny"}}
    task = Trainer(load_task("makeup"), TrainConfig(**big)).task
    d = task.accelerator.unwrap_model(task.modules["D"]).state_dict()
    old = loaded.tensors["D.cls.weight"].float()
    assert d["cls.weight"].shape[2] == 2 * old.shape[2] and d["cls.weight"].shape[3] == 2 * old.shape[3]
    torch.testing.assert_close(d["cls.weight"].sum(dim=(2, 3)), old.sum(dim=(2, 3)), atol=1e-3, rtol=1e-3)
    torch.testing.assert_close(d["src.weight"], loaded.tensors["D.src.weight"].float(), atol=1e-3, rtol=1e-3)
    assert Trainer(load_task("makeup"), TrainConfig(**big)).train() == 2


def test_source_attributes_from_the_face_classifier():
    from genstudio.classifier import AttributeClassifier
    from genstudio.data.celeba import ATTRIBUTES as ALL

    g, d = build(TINY)
    editor = StarGanEditor(g, d, TINY)
    clf = AttributeClassifier(ALL, width=4, image_size=16).eval()
    x, x_hi = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 64, 64) * 2 - 1
    editor.use_reader(clf)
    want = torch.sigmoid(clf(x_hi))[:, [ALL.index(a) for a in ATTRIBUTES]]
    torch.testing.assert_close(editor.source_probabilities(x, x_hi), want)


def test_a_frozen_teacher_classifier_trains_the_generator_and_stays_frozen(tmp_path, monkeypatch):
    """extra.teacher: G also learns from a trained classifier's reading of its edits; the teacher never changes."""
    from genstudio.classifier import AttributeClassifier
    from genstudio.data.celeba import ATTRIBUTES as ALL

    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("GENSTUDIO_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    clf = AttributeClassifier(ALL, width=4, image_size=16).eval()
    weights.save(tmp_path / "weights" / "tiny-teacher", clf.state_dict(),
                 {"attributes": list(ALL), "width": 4, "image_size": 16})
    before = {k: v.clone() for k, v in weights.load("tiny-teacher").tensors.items()}
    model = {k: v for k, v in TINY.items() if k != "attributes"}
    cfg = TrainConfig(family="makeup", name="makeup-taught", steps=2, batch_size=4, data_root=str(DATA_ROOT),
                      run_dir=str(tmp_path / "run"), checkpoint_every=10, sample_every=10, log_every=1,
                      model=model, data={"limit": 24}, optim={"n_critic": 1},
                      extra={"teacher": "tiny-teacher", "lambda_teacher": 2.0})
    trainer = Trainer(load_task("makeup"), cfg)
    task = trainer.task
    assert task.teacher is not None and not any(p.requires_grad for p in task.teacher.parameters())
    assert task.teacher_cols == [ALL.index(a) for a in ATTRIBUTES]
    assert trainer.train() == 2
    log = (tmp_path / "run" / "log.csv").read_text().splitlines()
    assert "g_teacher" in log[0].split(",") and "t_hit" in log[0].split(",")
    for k, v in task.teacher.state_dict().items():
        torch.testing.assert_close(v, before[k].to(v.dtype))

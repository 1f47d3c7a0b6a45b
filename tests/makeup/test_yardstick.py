"""The scene yardstick (`genstudio eval makeup`) end to end on tiny weights: scenes made from the astronaut's
face (no CelebA), the service's own pipeline, a tiny random judge. Checks the table's shape and the invariants
that hold whatever the models: nothing changes outside the face, and the strength-0 job measures zero."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from genstudio.classifier import build_classifier
from genstudio.data.celeba import ATTRIBUTES
from genstudio.faces import align_face
from genstudio.services.makeup import DEFAULT_MODEL
from genstudio.stargan.photo import find_faces
from genstudio.weights import save
from genstudio.yardstick import makeup as yardstick
from genstudio.yardstick.cli import eval_group

from .conftest import write_tiny_stargan


def astronaut_heldout(photo: np.ndarray) -> yardstick.HeldOut:
    """Three CelebA-like crops: her face, the same face mirrored (the same person), and a darker copy."""
    crop = align_face(find_faces(photo)[0], 128).crop(photo)
    images = np.stack([crop, crop[:, ::-1], (crop * 0.8).astype(np.uint8)])
    labels = np.zeros((3, len(ATTRIBUTES)), np.float32)
    labels[:, [ATTRIBUTES.index("Young"), ATTRIBUTES.index("Brown_Hair")]] = 1.0
    return yardstick.HeldOut(images, labels, np.array([7, 7, 8]))


@pytest.fixture
def tiny_root(tmp_path, monkeypatch):
    """Tiny StarGAN as the default makeup model and a tiny random judge as face-attributes (no face-judge installed)."""
    write_tiny_stargan(tmp_path)
    torch.manual_seed(0)
    cfg = {"attributes": list(ATTRIBUTES), "width": 4, "image_size": 32}
    judge = build_classifier(cfg)
    save(tmp_path / "face-attributes", judge.state_dict(), {"family": "classifier", **cfg}, half=False)
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path))
    return tmp_path


def test_scene_yardstick_end_to_end(tiny_root, astronaut, monkeypatch, tmp_path):
    faces = astronaut_heldout(astronaut)
    monkeypatch.setattr(yardstick, "load_heldout", lambda root, n: (faces, faces))
    out = tmp_path / "metrics.json"
    result = CliRunner().invoke(eval_group, ["makeup", "--weights", DEFAULT_MODEL, "--n", "3",
                                             "--json-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "face-judge is not installed: judging with face-attributes" in result.output
    metrics = json.loads(out.read_text())
    assert metrics["judge"] == "face-attributes" and metrics["weights"] == DEFAULT_MODEL

    # the table: a header, one row per edit the service offers, then the three references
    lines = [ln for ln in result.output.splitlines() if ln.startswith("|")]
    assert lines[0].startswith("| edit | faces | success before → after |") and set(lines[1]) <= set("|-")
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]
    labels = [e[0] for e in yardstick.service_edits()]
    assert len(labels) == 13 and [r[0] for r in rows[:13]] == labels
    assert labels[-3:] == ["lipstick", "eye shadow", "blush"]
    assert [r[0] for r in rows[13:]] == ["*reference: no edit (strength 0)*", "*reference: same face, white "
                                         "balance ±6 %*", "*reference: another photo of the same person*"]
    assert all(len(r) == 8 for r in rows)
    assert "Detection: the pasted face found in" in result.output

    # invariants
    det = metrics["detection"]
    assert det["scenes"] == 3 and det["found"] >= 2  # the astronaut's face is found in the scenes
    edits = {r["edit"]: r for r in metrics["edits"]}
    assert edits["blond hair"]["faces"] == det["found"] and edits["brown hair"]["faces"] == 0  # she is brunette
    assert edits["young"]["faces"] == 0 and edits["old"]["faces"] == det["found"]
    assert edits["eye shadow"]["faces"] == edits["blush"]["faces"] == det["found"]  # no makeup, no rosy cheeks
    for r in metrics["edits"]:
        assert r["changed_outside_face"] == 0, r["edit"]
    noop, wb, same = metrics["references"]
    assert noop["faces"] == det["found"] and noop["face_colour_noise"] == 0 and noop["drift"] == 0
    assert noop["changed_outside_face"] == 0
    assert edits["old"]["face_colour_noise"] > 0.1 and edits["old"]["mean_abs_change"] > 0.5  # edits do change
    assert 0 < wb["face_colour_noise"] < edits["old"]["face_colour_noise"]
    assert noop["face_brightness_noise"] == 0 and edits["old"]["face_brightness_noise"] > 0
    assert same["faces"] == 2  # faces 0 and 1 are the same person; face 2 has no other photo

    # the card: scripts/makeup_yardstick.py keeps the table, a history row per --record, a bake-off comparison
    import sys
    from pathlib import Path

    scripts = str(Path(__file__).resolve().parents[2] / "scripts")
    sys.path.insert(0, scripts)
    try:
        import makeup_yardstick
    finally:
        sys.path.remove(scripts)
    other = dict(metrics, weights="other@15min", edits=[dict(e, success_after=0.5) for e in metrics["edits"]])
    (tmp_path / "other.json").write_text(json.dumps(other))
    for before in (0, 1000):  # the second as if started from a 1,000-step model
        monkeypatch.setattr(sys, "argv", ["makeup_yardstick.py", DEFAULT_MODEL, "--json", str(out), "--record",
                                          "--hours", "1.5", "--steps-before", str(before),
                                          "--bakeoff", str(out), str(tmp_path / "other.json")])
        makeup_yardstick.main()
    card = (tiny_root / DEFAULT_MODEL / "README.md").read_text()
    assert card.count("## Yardstick") == 1 and card.count("### Equal-budget bake-off") == 1
    history = json.loads((tiny_root / DEFAULT_MODEL / "history.json").read_text())
    assert len(history) == 2 and history[0]["wall_time_h"] == 1.5 and history[0]["outside_px"] == 0
    assert history[1]["steps"] == history[0]["steps"] + 1000
    assert history[0]["age"] == round(edits["old"]["success_after"], 3)  # no face to make young: no rate
    bakeoff = card[card.index("### Equal-budget bake-off"):]
    assert f"| {DEFAULT_MODEL} |" in bakeoff and "| other@15min | 50% | 50% |" in bakeoff


def test_scenes_are_fixed_and_recrop_gives_the_photo_back(astronaut):
    crop = astronaut_heldout(astronaut).images[0]
    a, b = yardstick.make_scene(crop, 4), yardstick.make_scene(crop, 4)
    assert np.array_equal(a.image, b.image) and a.image.shape == (768, 1024, 3)
    assert 100 <= a.side <= 300 and abs(a.roll) <= 10
    back = a.recrop(a.image).astype(int)
    assert np.abs(back - crop.astype(int))[16:-16, 16:-16].mean() < 8  # only resampling between the two
    region = a.face_region()
    centre, _ = a.true_box()
    assert region[int(centre[1]), int(centre[0])] and not region[0, 0]


def test_a_model_is_never_judged_by_the_classifier_it_was_trained_to_convince(tiny_root):
    config_path = tiny_root / DEFAULT_MODEL / "config.json"
    config = json.loads(config_path.read_text())
    config["train_config"] = {"extra": {"teacher": "face-attributes"}}
    config_path.write_text(json.dumps(config))
    assert yardstick.teacher_of(DEFAULT_MODEL) == "face-attributes"
    result = CliRunner().invoke(eval_group, ["makeup", "--weights", DEFAULT_MODEL, "--n", "3"])
    assert result.exit_code != 0 and "trained to convince face-attributes" in result.output


def test_brightness_noise_sees_dark_blotches_that_colour_noise_cannot():
    """A grey shadow on one cheek changes no colour (a/b) but is uneven in brightness (L); an even change of
    brightness over the whole crop costs neither measure."""
    from genstudio.yardstick.makeup import brightness_noise, colour_noise, lab_spread

    rng = np.random.default_rng(0)
    face = (np.full((2, 64, 64, 3), 150) + rng.integers(-20, 20, (2, 64, 64, 1))).astype(np.uint8)  # grey texture
    shadow, even = face.copy(), (face.astype(int) + 25).clip(0, 255).astype(np.uint8)
    shadow[:, 30:44, 14:26] -= 50
    def noise(after):
        spread = lab_spread(face, after)
        return brightness_noise(spread), colour_noise(spread)

    assert noise(face)[0].max() == 0 and noise(even)[0].max() < 1.0
    assert noise(shadow)[0].min() > 5.0 and noise(shadow)[1].max() < 1.0

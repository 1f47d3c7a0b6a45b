"""The face yardstick at 2× (`genstudio eval person --upsampler`, scripts/person_yardstick.py --upsampler) on tiny
fixtures: a 64 px generator, a 2× up-sampler, a 128 px judge, and a few fake held-out photos laid out like the
CelebA subset, so the whole 128 px path runs in seconds without the data set."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image, ImageFilter

from genstudio import weights
from genstudio.classifier import AttributeClassifier
from genstudio.data.celeba import ATTRIBUTES, is_validation_identity
from genstudio.wgan.networks import Generator

from .conftest import tiny_classifier, write_tiny_upsampler

REPO = Path(__file__).resolve().parents[2]
G64 = {"z_dim": 16, "width": 4, "resolution": 64}
LADDER = ["real (other held-out faces)", "real, 64 px and back (bicubic)", "real, 64 px through person-upsampler",
          "real, blur r=1", "real, blur r=2"]


def fake_celeba(root: Path, n: int = 24) -> Path:
    """n sharp 128 px "photos" of held-out identities (soft shapes with fine texture), plus one training photo."""
    folder = root / "celeba"
    (folder / "images").mkdir(parents=True)
    held_out = [i for i in range(1, 1000) if is_validation_identity(i)][:4]
    trained = next(i for i in range(1, 1000) if not is_validation_identity(i))
    rng = np.random.default_rng(0)
    rows = []
    for k in range(n + 1):
        name, identity = f"{k:06d}.jpg", held_out[k % 4] if k < n else trained
        base = Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).resize((128, 128), Image.BICUBIC)
        texture = rng.integers(-40, 40, (128, 128, 3))
        im = Image.fromarray(np.clip(np.asarray(base.filter(ImageFilter.GaussianBlur(4)), int) + texture, 0, 255)
                             .astype(np.uint8))
        im.save(folder / "images" / name, quality=95)
        rows.append((name, identity, [int(v) for v in rng.integers(0, 2, len(ATTRIBUTES))]))
    with open(folder / "attributes.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image", *ATTRIBUTES])
        w.writerows([name, *labels] for name, _, labels in rows)
    with open(folder / "identities.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image", "celeba_identity"])
        w.writerows([name, identity] for name, identity, _ in rows)
    with open(folder / "sources.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image", "resample"])
        w.writerows([name, "down"] for name, _, _ in rows)
    return root


@pytest.fixture(scope="module")
def fixture(tmp_path_factory) -> tuple[Path, Path]:
    """(weights folder, data root): generator g64, up-sampler person-upsampler (a random residual) and
    plain-upsampler (an untrained one: bicubic exactly), face-judge at 128 px, face-attributes at 16 px."""
    root = tmp_path_factory.mktemp("yardstick-2x")
    torch.manual_seed(0)
    g = Generator(**G64)
    with torch.no_grad():
        g.train()
        g(torch.randn(16, G64["z_dim"]))
    weights.save(root / "w" / "g64", {f"generator.{k}": v for k, v in g.eval().state_dict().items()},
                 {"family": "person", **G64}, half=False)
    write_tiny_upsampler(root / "w")
    write_tiny_upsampler(root / "w", "plain-upsampler", residual=False)
    torch.manual_seed(1)
    judge = AttributeClassifier(ATTRIBUTES, width=4, image_size=128).eval()
    weights.save(root / "w" / "face-judge", judge.state_dict(),
                 {"family": "classifier", "attributes": list(ATTRIBUTES), "width": 4, "image_size": 128}, half=False)
    weights.save(root / "w" / "face-attributes", tiny_classifier().state_dict(),
                 {"family": "classifier", "attributes": list(ATTRIBUTES), "width": 4, "image_size": 16}, half=False)
    return root / "w", fake_celeba(root / "data")


@pytest.fixture
def env(fixture, monkeypatch, tmp_path) -> tuple[Path, Path]:
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(fixture[0]))
    monkeypatch.setenv("GENSTUDIO_CACHE", str(tmp_path / "cache"))  # the fake photos' resized copies
    return fixture


def test_rows_at_128_px_in_the_judges_features(env):
    from genstudio.yardstick.person import RATE_ATTRIBUTES, evaluate_2x

    rows, rates, facts = evaluate_2x(["g64"], "person-upsampler", env[1], limit=10, progress=lambda m: None)
    assert list(rows) == [*LADDER, "g64 + person-upsampler", "g64 + bicubic"]
    assert all(set(r) == {"fid", "kid", "precision", "recall"} and all(math.isfinite(v) for v in r.values())
               for r in rows.values())
    assert facts["size"] == 128 and facts["features"] == "face-judge" and facts["features_input"] == 128
    assert facts["reference_images"] == 10 and facts["upsampler_checkpoint"] == weights.digest("person-upsampler")
    assert facts["generators"] == {"g64": weights.digest("g64")}
    assert rows["real (other held-out faces)"]["fid"] < rows["real, blur r=2"]["fid"]
    # the learned residual changes the faces the judge sees: its row is not bicubic's
    assert rows["g64 + person-upsampler"] != rows["g64 + bicubic"]
    assert rows["real, 64 px through person-upsampler"] != rows["real, 64 px and back (bicubic)"]
    assert set(rates) == {"real (held-out)", "g64 + person-upsampler", "g64 + bicubic"}
    assert all(set(r) == set(RATE_ATTRIBUTES) for r in rates.values())


def test_an_untrained_upsampler_scores_exactly_as_bicubic(env):
    """Both up-sampled rows start from the same pixels and the same bicubic base: an up-sampler that adds
    nothing is bicubic, to the last digit, so any difference measured is what the learned residual adds."""
    from genstudio.yardstick.person import evaluate_2x

    rows, _, _ = evaluate_2x(["g64"], "plain-upsampler", env[1], limit=10, progress=lambda m: None)
    assert rows["g64 + plain-upsampler"] == rows["g64 + bicubic"]
    assert rows["real, 64 px through plain-upsampler"] == rows["real, 64 px and back (bicubic)"]


def test_without_the_judge_the_features_fall_back_to_face_attributes(env):
    from genstudio.yardstick.person import evaluate_2x

    said = []
    rows, _, facts = evaluate_2x(["g64"], "person-upsampler", env[1], features="no-such-judge", limit=10,
                                 progress=said.append)
    assert facts["features"] == "face-attributes" and facts["features_input"] == 16
    assert any("no-such-judge is not installed" in m for m in said)
    assert "g64 + person-upsampler" in rows


def test_the_cli_and_the_card_script_measure_and_record_at_128(env, tmp_path, monkeypatch):
    from genstudio.cli import main as cli

    out = tmp_path / "rows.json"
    result = CliRunner().invoke(cli, ["eval", "person", "--weights", "g64", "--upsampler", "person-upsampler",
                                      "--data-root", str(env[1]), "--limit", "10", "--json-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "At 128 px, in the features of face-judge (128 px input)" in result.output
    assert "| g64 + person-upsampler |" in result.output and "| g64 + bicubic |" in result.output
    written = json.loads(out.read_text())
    assert list(written["rows"]) == [*LADDER, "g64 + person-upsampler", "g64 + bicubic"]

    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import person_yardstick
    finally:
        sys.path.remove(str(REPO / "scripts"))
    folder = weights.model_dir("person-upsampler")
    for _ in range(2):
        monkeypatch.setattr(sys, "argv", ["person_yardstick.py", "g64", "--upsampler", "person-upsampler",
                                          "--data-root", str(env[1]), "--limit", "10", "--record"])
        person_yardstick.main()
    history = json.loads((folder / "history.json").read_text())
    assert len(history) == 2 and history[0]["generator"] == "g64" and history[0]["features"] == "face-judge"
    assert history[0]["size"] == 128 and history[0]["fid"] == round(written["rows"]["g64 + person-upsampler"]["fid"], 4)
    card = (folder / "README.md").read_text()
    assert card.count("## Yardstick") == 1 and "**g64 + person-upsampler**" in card and "### History" in card
    assert "| date | steps | wall time (h) | generator | features | size |" in card

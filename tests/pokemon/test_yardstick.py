"""The Pokémon yardstick on a small fixture of real art: the ladder ranks as a sound yardstick must
(real < blur r=1 < blur r=2, and colour blobs and noise far from creatures), and `genstudio eval pokemon`
prints a model's row under that ladder with the memorisation check."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from genstudio import weights
from genstudio.data.pokemon import is_held_out_species, load_pokemon

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("GENSTUDIO_DATA", REPO.parent / "shared" / "datasets"))
pytestmark = pytest.mark.skipif(not (DATA / "pokemon" / "labels.csv").is_file(),
                                reason="needs the shared Pokémon dataset (../shared/datasets/pokemon)")


@pytest.fixture(scope="module")
def fixture_rows():
    """The ladder of 120 held-out-species images (reference: another 120) in the shipped features."""
    from genstudio.classifier.networks import embed_all
    from genstudio.metrics.ladder import ladder
    from genstudio.yardstick.pokemon import Reference, ladder_table, load_features

    data = load_pokemon(DATA, size=64, subset="art")
    held = np.flatnonzero([is_held_out_species(d) for d in data.dex])
    train = np.flatnonzero([not is_held_out_species(d) for d in data.dex])
    rng = np.random.default_rng(0)
    held = rng.permutation(held)
    a, b = data.images[held[:120]], data.images[held[120:240]]
    other = data.images[rng.choice(train, 120, replace=False)]
    net, checkpoint = load_features()
    ref = Reference(net, checkpoint, embed_all(net, a), ladder(b, other), np.ones(18) / 18, np.ones(3) / 3,
                    data.images, b)
    return ladder_table(ref)


def test_ladder_order(fixture_rows):
    kid = {name: row["kid"] for name, row in fixture_rows.items()}
    fid = {name: row["fid"] for name, row in fixture_rows.items()}
    for metric in (kid, fid):
        assert metric["real (other images)"] < metric["real, blur r=1"] < metric["real, blur r=2"]
        worst_real = max(metric["real, blur r=2"], metric["real, 32 px and back"])
        assert metric["colour blobs on white"] > worst_real  # a colour blob is far from a creature
        assert metric["noise"] > worst_real
    precision = {name: row["precision"] for name, row in fixture_rows.items()}
    assert precision["colour blobs on white"] < precision["real (other images)"]


def test_eval_command_prints_the_ladder_and_a_model_row(tmp_path, monkeypatch):
    """A tiny random GAN through `genstudio eval pokemon`: its row is printed under the ladder."""
    import shutil

    from genstudio.cli import main

    from .conftest import install_tiny_gan

    root = tmp_path / "weights"
    shutil.copytree(weights.REPO_WEIGHTS / "pokemon-features", root / "pokemon-features")
    install_tiny_gan(root, "pokemon-gan-test")
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(root))
    result = CliRunner().invoke(main, ["eval", "pokemon", "--weights", "pokemon-gan-test", "--data-root", str(DATA),
                                       "--json-out", str(tmp_path / "rows.json")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    names = [line.split("|")[1].strip() for line in lines if line.startswith("| ") and "FID" not in line]
    assert names[:6] == ["real (other images)", "real, blur r=1", "real, 32 px and back", "real, blur r=2",
                         "colour blobs on white", "noise"]
    assert names[6] == "pokemon-gan-test" and "memorisation check" in result.output
    import json

    rows = json.loads((tmp_path / "rows.json").read_text())["rows"]
    assert rows["pokemon-gan-test"]["fid"] > rows["real, blur r=1"]["fid"]  # random weights are not creatures
    other = CliRunner().invoke(main, ["eval", "pokemon", "--weights", "pokemon-gan-test", "--data-root", str(DATA),
                                      "--seed", "7", "--json-out", str(tmp_path / "seed7.json")])
    assert other.exit_code == 0, other.output
    seed7 = json.loads((tmp_path / "seed7.json").read_text())["rows"]
    assert "pokemon-gan-test" not in seed7  # other samples of the same model: a row of its own name
    assert seed7["pokemon-gan-test (seed 7)"]["fid"] != rows["pokemon-gan-test"]["fid"]
    assert seed7["real, blur r=1"] == rows["real, blur r=1"]  # the ladder does not move with the seed

    # scripts/pokemon_yardstick.py --json records that measurement in the card without sampling again
    import sys

    scripts = str(weights.REPO_WEIGHTS.parent / "scripts")
    sys.path.insert(0, scripts)
    try:
        import pokemon_yardstick
    finally:
        sys.path.remove(scripts)
    monkeypatch.setattr(pokemon_yardstick, "evaluate", None)  # measuring again would fail
    monkeypatch.setattr(sys, "argv", ["pokemon_yardstick.py", "pokemon-gan-test", "--record", "--hours", "0.5",
                                      "--json", str(tmp_path / "rows.json")])
    pokemon_yardstick.main()
    history = json.loads((root / "pokemon-gan-test" / "history.json").read_text())
    assert history[-1]["fid"] == pytest.approx(rows["pokemon-gan-test"]["fid"], abs=1e-3)
    assert "| **pokemon-gan-test** |" in (root / "pokemon-gan-test" / "README.md").read_text()
    monkeypatch.setattr(sys, "argv", ["pokemon_yardstick.py", "pokemon", "--json", str(tmp_path / "rows.json")])
    with pytest.raises(SystemExit):
        pokemon_yardstick.main()


def test_a_latent_model_is_measured_beside_its_autoencoders_ceiling(tmp_path, monkeypatch):
    """A latent diffusion model's autoencoder reconstructions of the held-out images get their own row: no
    sample decoded by it can do better, so the card can say when the decoder is the limit."""
    import shutil

    from genstudio.yardstick.pokemon import evaluate

    from .conftest import install_tiny

    root = tmp_path / "weights"
    shutil.copytree(weights.REPO_WEIGHTS / "pokemon-features", root / "pokemon-features")
    install_tiny(root, "pokemon-test", "ae-test")
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(root))
    rows, _ = evaluate(["pokemon-test"], DATA, progress=lambda m: None)
    assert list(rows)[-2:] == ["ae-test reconstruction", "pokemon-test"]
    assert rows["ae-test reconstruction"]["fid"] > rows["real, blur r=1"]["fid"]  # an untrained autoencoder

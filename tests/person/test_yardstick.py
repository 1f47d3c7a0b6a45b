"""The face yardstick on held-out identities: the ladder ranks real < 32 px and back < blur r=1 < blur r=2,
and a generator's row and attribute rates come out beside it (shipped face classifier and generator)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from genstudio import weights

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("GENSTUDIO_DATA", REPO.parent / "shared" / "datasets"))
pytestmark = pytest.mark.skipif(not (DATA / "celeba" / "attributes.csv").is_file(),
                                reason="needs the shared CelebA subset (../shared/datasets/celeba)")


def test_ladder_order_and_a_model_row(monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(weights.REPO_WEIGHTS))
    from genstudio.yardstick.person import RATE_ATTRIBUTES, evaluate

    rows, rates = evaluate(["person-wgan"], DATA, limit=200, progress=lambda m: None)
    for metric in ("fid", "kid"):
        r = {name: row[metric] for name, row in rows.items()}
        assert r["real (other held-out faces)"] < r["real, 32 px and back"] < r["real, blur r=1"] < r["real, blur r=2"]
    assert rows["real (other held-out faces)"]["precision"] > rows["real, blur r=2"]["precision"]
    assert set(rows["person-wgan"]) == {"fid", "kid", "precision", "recall"}
    assert set(rates) == {"real (held-out)", "person-wgan"} and set(rates["person-wgan"]) == set(RATE_ATTRIBUTES)

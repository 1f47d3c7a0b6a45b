"""bench/makeup_load.py small, on every `make test` (issue 15): concurrent makeup uploads of photos of different
sizes against `genstudio serve` on loopback (waitress, the tiny StarGAN) answer no 5xx, and every job ends done."""

from __future__ import annotations

import pytest

from bench.makeup_load import serve_and_run

pytestmark = pytest.mark.slow


def test_concurrent_makeup_uploads_get_no_5xx(tmp_path, tiny_weights):
    tally, info = serve_and_run(clients=6, rounds=3, weights=str(tiny_weights), folder=tmp_path)
    log = info["log"].read_text(errors="replace")[-3000:]
    assert not tally.problems, (tally.problems, log)
    assert not [what for what in tally.answers if int(what.rsplit(" ", 1)[1]) >= 500], tally.answers
    assert tally.jobs == {"done": 18}, (tally.jobs, log)
    assert tally.answers["POST /makeup/faces 200"] == 18 and tally.answers["POST /api/v1/jobs 202"] == 18, \
        tally.answers

"""Platform tests run on the toy services (tests/platform/toy.py) with their own tiny weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from .toy import install_weights, make_services


@pytest.fixture(scope="session")
def toy_weights(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("weights")
    install_weights(root)
    return root


@pytest.fixture
def weights_root(toy_weights) -> Path:
    return toy_weights


@pytest.fixture
def services() -> tuple:
    return make_services()

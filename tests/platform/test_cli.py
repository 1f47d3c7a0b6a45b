"""The `genstudio` command's platform part, on the same instance folder and database as `make run`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from genstudio.cli import main


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("GENSTUDIO_SERVICES", "tests.platform.toy_module")
    return tmp_path / "inst"


def test_db_users_tokens_and_models(instance, toy_weights, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(toy_weights))
    runner = CliRunner()
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (instance / "genstudio.db").exists() and (instance / "secret_key").exists()
    result = runner.invoke(main, ["users", "create", "ada"], input="long-enough-pw\n")
    assert result.exit_code == 0 and "created user ada" in result.output
    assert runner.invoke(main, ["users", "create", "ada"], input="long-enough-pw\n").exit_code != 0
    assert "at least 8" in runner.invoke(main, ["users", "create", "bob"], input="short\n").output
    result = runner.invoke(main, ["tokens", "create", "ada"])
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("gs_")
    assert "no user" in runner.invoke(main, ["tokens", "create", "nobody"]).output
    # the operator's password reset (no e-mail): the old password stops working, tokens only go on request
    result = runner.invoke(main, ["users", "set-password", "ada"], input="another-long-pw\n")
    assert result.exit_code == 0 and "password of ada changed" in result.output
    assert "no user" in runner.invoke(main, ["users", "set-password", "nobody"], input="another-long-pw\n").output
    assert "at least 8" in runner.invoke(main, ["users", "set-password", "ada"], input="short\n").output
    from genstudio.app import create_app
    from genstudio.db import User

    with create_app({"JOB_START": False}).app_context():
        ada = User.by_name("ada")
        assert ada.check_password("another-long-pw") and not ada.check_password("long-enough-pw")
        assert len(ada.tokens) == 1
    listing = runner.invoke(main, ["models", "list"]).output
    assert "toy" in listing and "toy-tiny" in listing and "ready" in listing and "toy-absent" in listing

    # the token works against an app on the same instance, as `make run` would serve it
    app = create_app({"JOB_START": False})
    response = app.test_client().get("/api/v1/services", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()["services"][0]["name"] == "toy"


def test_console_script_is_installed():
    result = subprocess.run([sys.prefix + "/bin/genstudio", "--help"], capture_output=True, text=True, check=True)
    for command in ("serve", "users", "tokens", "models", "db", "train"):
        assert command in result.stdout

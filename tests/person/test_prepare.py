"""An edit request is checked against the directions' names read from their files, without loading any model in
the web request (the names are in config.json and the safetensors header)."""

from __future__ import annotations

import pytest

from genstudio.errors import ParamError
from genstudio.services.person import SCHEMA, PersonService
from genstudio.wgan.directions import DIRECTION_ATTRIBUTES
from genstudio.wgan.model import direction_names, load_directions


def refuse_to_load(*_args, **_kwargs):
    raise AssertionError("prepare() loaded a model")


def test_edit_requests_are_checked_without_loading_a_model(person_env, monkeypatch):
    import genstudio.services.person as person
    import genstudio.wgan.model as wgan_model

    monkeypatch.setattr(person, "load_generator", refuse_to_load)
    monkeypatch.setattr(person, "load_directions", refuse_to_load)
    monkeypatch.setattr(wgan_model, "load_weights", refuse_to_load)
    service = PersonService()
    assert service.prepare(SCHEMA.resolve({"mode": "edit", "directions": {"Smiling": 2, "Male": -1}}), {}) == {}
    with pytest.raises(ParamError, match="no direction learned for Wings") as caught:
        service.prepare({"mode": "edit", "directions": {"Smiling": 1, "Wings": 1}}, {})
    assert caught.value.field == "directions"


def test_the_names_read_from_the_files_are_those_the_loaded_directions_have(person_env):
    names = direction_names("person-directions")
    assert names == load_directions("person-directions").names
    assert set(names) == set(DIRECTION_ATTRIBUTES)
    assert direction_names("no-such-directions") is None


def test_edit_is_refused_when_no_directions_are_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path))
    with pytest.raises(ParamError, match="not installed on this server"):
        PersonService().prepare({"mode": "edit", "directions": {"Smiling": 1}}, {})

"""Parameter kinds are small classes (genstudio/services/params.py): each reads its values, describes them as JSON
Schema for the OpenAPI document and names the form widget that edits them, so no caller switches on a kind."""

from __future__ import annotations

import pytest

from genstudio.errors import ParamError
from genstudio.services.params import KINDS, SEED_MAX, Param, Schema
from genstudio.web.openapi import param_schema

# One parameter of each kind: (param, a raw value, its canonical value, the widget, the form step, JSON Schema)
CASES = [
    (Param("strength", "float", 0.5, 0.0, 1.0), "0.25", 0.25, "range", 0.01,
     {"type": "number", "minimum": 0.0, "maximum": 1.0, "default": 0.5}),
    (Param("count", "int", 8, 1, 16), 3.0, 3, "range", 1,
     {"type": "integer", "minimum": 1, "maximum": 16, "default": 8}),
    (Param("face", "int", None, 0), "2", 2, "number", 1, {"type": "integer", "minimum": 0}),
    (Param("seed", "seed"), "7", 7, "number", 1, {"type": ["integer", "null"], "minimum": 0, "maximum": SEED_MAX}),
    (Param("hair", "choice", "keep", choices=("keep", "blond")), "blond", "blond", "select", 1,
     {"type": "string", "enum": ["keep", "blond"], "default": "keep"}),
    (Param("keep", "bool", False), "on", True, "checkbox", 1, {"type": "boolean", "default": False}),
    (Param("plus", "int_list", [], max_items=3), "1, 2 3", [1, 2, 3], "text", 1,
     {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": SEED_MAX}, "maxItems": 3,
      "default": []}),
    (Param("directions", "dict", {}, -6.0, 6.0, choices=("Smiling",)), {"Smiling": "2"}, {"Smiling": 2.0}, "sliders", 1,
     {"type": "object", "properties": {"Smiling": {"type": "number", "minimum": -6.0, "maximum": 6.0}},
      "additionalProperties": False, "default": {}}),
    (Param("shade", "color", "#b3202e"), " #A3C", "#aa33cc", "color", 1,
     {"type": "string", "pattern": "^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$", "default": "#b3202e"}),
]


@pytest.mark.parametrize(("param", "raw", "value", "widget", "step", "schema"), CASES,
                         ids=[case[0].kind for case in CASES])
def test_each_kind_reads_describes_and_edits_its_values(param, raw, value, widget, step, schema):
    assert param.coerce(raw) == value
    assert (param.type.widget(param), param.type.step(param)) == (widget, step)
    assert param_schema(param) == schema
    assert param.describe()["type"] == param.kind


def test_every_kind_is_covered_and_refuses_a_wrong_value():
    assert {case[0].kind for case in CASES} == set(KINDS)
    for param, *_ in CASES:
        with pytest.raises(ParamError) as caught:
            param.coerce(object())
        assert caught.value.field == param.name


def test_an_unknown_kind_is_refused_where_it_is_declared():
    with pytest.raises(ValueError, match="unknown kind 'colour'"):
        Param("tint", "colour")


def test_a_float_without_both_bounds_is_a_free_number_field():
    free = Param("scale", "float", 1.0, 0.0)
    assert (free.type.widget(free), free.type.step(free)) == ("number", "any")
    assert Schema((free,)).validate({"scale": "1e3"}) == {"scale": 1000.0}


def test_an_omitted_default_is_not_recorded_so_older_recipes_stay_the_same():
    """A parameter added after images were made (omit_default): at its default it is left out of the params, so a
    recipe from before it existed validates to the same params (and makes the same file again)."""
    schema = Schema((Param("count", "int", 1, 1, 8), Param("size", "choice", "small", choices=("small", "big"),
                                                              omit_default=True)))
    assert schema.validate({"count": 2}) == {"count": 2} == schema.validate({"count": 2, "size": "small"})
    assert schema.validate({"count": 2, "size": "big"}) == {"count": 2, "size": "big"}
    with pytest.raises(ParamError, match="must be one of"):
        schema.validate({"size": "huge"})

"""The Korean catalogue is complete: every string the site can show (templates, the web layer, the services'
own names and the error messages raised below the web layer) has a real Korean translation, compiled."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import translations  # noqa: E402  (scripts/translations.py: what `make translations` runs)

HANGUL = re.compile(r"[\uac00-\ud7a3]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%%|\{\w+\}")


@pytest.fixture(scope="module")
def template():
    return translations.extract()


def test_every_ui_string_has_a_korean_translation(template):
    assert translations.problems(template) == []


def test_translations_are_korean_and_keep_their_placeholders():
    catalogue = translations.read_catalogue()
    not_korean, broken = [], []
    for message in catalogue:
        if not message.id or not message.string:
            continue
        words = PLACEHOLDER.sub("", message.id)
        if " " in words.strip() and re.search(r"[a-z]{3}", words) and not HANGUL.search(message.string):
            not_korean.append(message.id)  # acronyms and names (DDPM, DPM-Solver++) may stay as they are
        if sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            broken.append(message.id)
    assert not_korean == [] and broken == []
    assert [error for _message, errors in catalogue.check() for error in errors] == []


def test_compiled_catalogue_matches_the_po_file():
    from babel.messages.mofile import read_mo

    with open(translations.MO, "rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    written = {m.id: m.string for m in translations.read_catalogue() if m.id and m.string and not m.fuzzy}
    assert compiled == written, "run `make translations` (or scripts/translations.py --compile)"


def test_a_new_untranslated_string_is_caught(template):
    """The check above is not vacuous: a string added to a template without a translation is reported."""
    template.add("A brand-new button nobody translated")
    try:
        assert translations.problems(template) == ["untranslated: 'A brand-new button nobody translated'"]
    finally:
        template.delete("A brand-new button nobody translated")


def test_error_templates_are_extracted_wherever_they_are_raised(template):
    """The keywords (scripts/translations.py) and babel.cfg reach every error class and the modules raising them."""
    for message, where in [
        ("must be true or false", "ParamError in services/params.py"),
        ("the uploaded file is empty", "InputError in uploads.py"),
        ("daily image limit reached (%(limit)s images per 24 hours)", "LimitExceeded in jobs/submit.py"),
        ("The face is blurry or very low-contrast; the edit may smear details.", "FaceWarning in faces/quality.py"),
        ("the job queue is full; try again shortly", "QueueFull's N_ in errors.py"),
    ]:
        assert message in template, where

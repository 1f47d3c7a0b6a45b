#!/usr/bin/env python
"""The Korean catalogue: extract every UI string, update ko/messages.po, compile the .mo (`make translations`),
and list what is missing (`--check`, and tests/platform/test_translations.py, which fails on any of it).

Strings come from three places:
- `_()`, `_l()`, `lazy_gettext()` and `N_()` in the web layer, the services and their templates (babel.cfg);
- the English message templates of the errors raised below the web layer, which the web layer translates
  when it shows them: ParamError (2nd argument), InputError, LimitExceeded (1st) and FaceWarning (2nd);
- the services' own names, which templates translate at run time and pybabel cannot see: titles,
  descriptions, parameter labels, help, choices and their labels, and the labels of per-image recipe entries.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FOLDER = ROOT / "genstudio" / "translations"
POT = FOLDER / "messages.pot"
PO = FOLDER / "ko" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None,
            "ParamError": (2,), "InputError": (1,), "LimitExceeded": (1,), "FaceWarning": (2,)}
SERVICE_COMMENT = "service string (see scripts/translations.py)"


def service_strings() -> list[str]:
    """What the services declare and templates translate at run time (see the module docstring)."""
    from genstudio.services import load_services
    from genstudio.web.strings import label

    out: list[str] = []
    for service in load_services():
        out += [service.title, service.description]
        for param in service.schema.describe():
            out.append(label(param["name"]))
            if param.get("help"):
                out.append(param["help"])
            out += [label(choice) for choice in param.get("choices", []) if choice not in param.get("labels", {})]
            out += list(param.get("labels", {}).values())
        out += [*service.extra_labels.values(), *service.value_labels.values()]
    return [s for s in dict.fromkeys(out) if s]


def extract() -> Catalog:
    """Every UI string of the project, as `pybabel extract` with the keywords above would find them."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog(project="GenStudio", charset="utf-8")
    for _filename, _line, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        catalog.add(message, None, auto_comments=comments, context=context)
    for text in service_strings():
        if text not in catalog:
            catalog.add(text, auto_comments=[SERVICE_COMMENT])
    return catalog


def read_catalogue() -> Catalog:
    with open(PO, "rb") as fh:
        return read_po(fh, locale="ko")


def problems(template: Catalog | None = None) -> list[str]:
    """Strings the site shows that have no Korean translation (missing, empty or fuzzy)."""
    template = template or extract()
    catalogue = read_catalogue()
    out = []
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id, message.context)
        if entry is None or not entry.string:
            out.append(f"untranslated: {message.id!r}")
        elif entry.fuzzy:
            out.append(f"fuzzy (needs a check): {message.id!r}")
    return out


def update() -> None:
    """Write the .pot, merge it into ko/messages.po (new strings come in untranslated, gone ones go), compile."""
    template = extract()
    with open(POT, "wb") as fh:
        write_po(fh, template, omit_header=True, no_location=True)
    catalogue = read_catalogue()
    catalogue.update(template, no_fuzzy_matching=True)
    with open(PO, "wb") as fh:
        write_po(fh, catalogue, no_location=True, ignore_obsolete=True)
    compile_mo(catalogue)
    for line in problems(template):
        print(line)


def compile_mo(catalogue: Catalog | None = None) -> None:
    with open(MO, "wb") as fh:
        write_mo(fh, catalogue or read_catalogue(), use_fuzzy=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list untranslated strings (exit 1 if any)")
    parser.add_argument("--compile", action="store_true", help="only compile ko/messages.po into the .mo")
    args = parser.parse_args()
    if args.compile:
        compile_mo()
    elif args.check:
        missing = problems()
        print("\n".join(missing) or "every string has a Korean translation")
        sys.exit(1 if missing else 0)
    else:
        update()


if __name__ == "__main__":
    main()

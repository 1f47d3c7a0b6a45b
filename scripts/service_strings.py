#!/usr/bin/env python
"""Add the services' own UI strings (titles, descriptions, parameter labels, help and choices) to a .pot.

Templates translate them at run time (`_(service.title)`, `param_label(name)`), so pybabel's extractor
cannot see them; `make translations` runs this after `pybabel extract` so that `pybabel update` keeps them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def service_strings() -> list[str]:
    from genstudio.services import load_services

    out: list[str] = []
    for service in load_services():
        out += [service.title, service.description]
        for param in service.schema.describe():
            out.append(label(param["name"]))
            if param.get("help"):
                out.append(param["help"])
            out += [label(choice) for choice in param.get("choices", [])]
    return [s for s in dict.fromkeys(out) if s]


def main(pot_path: str) -> None:
    with open(pot_path, "rb") as fh:
        catalog = read_po(fh)
    for text in service_strings():
        if text not in catalog:
            catalog.add(text, auto_comments=["service string (see scripts/service_strings.py)"])
    with open(pot_path, "wb") as fh:
        write_po(fh, catalog, omit_header=True, no_location=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "genstudio/translations/messages.pot")

"""The Pokémon page's words and colours: sampler names as written, type chips readable on their colour."""

from __future__ import annotations

import re

from genstudio.services.pokemon.web import TYPE_COLOURS, chip_ink, contrast


def test_sampler_names_are_spelled_as_their_papers_do(client):
    html = client.get("/pokemon/").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', html)
    assert ("dpm++", "DPM-Solver++") in options and ("ddpm", "DDPM") in options and ("ddim", "DDIM") in options
    assert "Dpm++" not in html and "Ddpm" not in html


def test_every_type_chip_reads_at_wcag_aa_contrast(client):
    assert all(contrast(colour, chip_ink(colour)) >= 4.5 for colour in TYPE_COLOURS.values())
    for name in ("electric", "ice", "ground", "steel", "fairy"):  # light colours: dark text
        assert chip_ink(TYPE_COLOURS[name]) == "#212529", name
    html = client.get("/pokemon/").get_data(as_text=True)
    assert 'data-type-chip="electric"\n            style="--chip: #F7D02C; --chip-ink: #212529"' in html

"""Password rules shared by the sign-up and password forms and the CLI: long enough, and not a common one."""

from __future__ import annotations

from functools import cache
from pathlib import Path

MIN_LENGTH = 8
COMMON_LIST = Path(__file__).resolve().parent / "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most guessed passwords (lower-cased)."""
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """True for a password that guessing tools try first, whatever its case ("Password1" is "password1")."""
    return password.strip().lower() in common_passwords()

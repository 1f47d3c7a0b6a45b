"""`python -m genstudio` runs the CLI (used under torchrun / accelerate launch)."""

from .cli import main

main()

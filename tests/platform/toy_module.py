"""The toy service as an importable service module (SERVICE), as the CLI and SERVICES config expect."""

from .toy import ToyService

SERVICE = ToyService()

"""The platform tests' toy service as a module (GENSTUDIO_SERVICES=tests.cluster.services_toy) for the web and
worker processes the cluster tests start."""

from tests.platform.toy import ToyService

SERVICE = ToyService()

"""The toy photo editor (takes an upload) as a module for the cluster's web and worker processes."""

from tests.platform.toy import ToyEditService

SERVICE = ToyEditService()

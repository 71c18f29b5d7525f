"""A platform module the autoloading registry imports on its first lookup."""

from tests.connectors.dummies import AUTOLOAD_REGISTRY, MemorySource


@AUTOLOAD_REGISTRY.register
class AutoloadedSource(MemorySource):
    key = "autoloaded"
    display_name = "Autoloaded"

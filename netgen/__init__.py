"""netgen: Cloudflare Magic WAN / Magic Transit tunnel planner and router config generator."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("netgen")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

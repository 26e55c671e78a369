"""netgen: Cloudflare Magic WAN / Magic Transit tunnel planner and router config generator."""

__version__ = "0.1.0"  # the package's version (pyproject.toml reads it from here)

__all__ = ["__version__"]

"""The grants and commissioning workflow system."""

from grants.factory import create_app

__all__ = ["create_app"]

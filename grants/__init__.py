"""The grants and commissioning workflow system."""

from grants.app import create_app

__all__ = ["create_app"]

"""The demo world: Leicester, Leicestershire and Rutland."""

from grants.demo.loader import DemoAlreadyLoaded, load_demo

__all__ = ["DemoAlreadyLoaded", "load_demo"]

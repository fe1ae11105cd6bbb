"""The one-machine alliance: the gateway and 23 member parks on loopback, with synthetic enterprises."""

from alliance.demo.runner import run_demo

__all__ = ["run_demo"]

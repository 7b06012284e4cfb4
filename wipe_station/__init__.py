"""Wipe Station: the depot workstation application."""

__version__ = "0.1.0"

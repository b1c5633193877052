"""Ondas: a self-hosted podcast and audiobook subscription service."""

__version__ = "0.1.0"

"""Store Intelligence backend: multi-tenant footfall analytics API."""

__version__ = "0.1.0"

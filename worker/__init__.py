"""Store Intelligence edge worker: camera stream → person tracks → line/zone events → backend."""

__version__ = "0.1.0"

__all__ = ["__version__"]

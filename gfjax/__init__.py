"""gfjax: GPU-first JAX framework for glacier flow from Sentinel-1 offset tracking + MSBAS."""
__version__ = "0.1.0"

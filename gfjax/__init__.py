"""gfjax: GPU-first JAX framework for glacier flow from Sentinel-1 offset tracking + MSBAS.

Top-level shortcuts (imported lazily, so ``import gfjax`` stays cheap):
``gfjax.track_offsets`` (offset tracking of one image pair), ``gfjax.invert_maps`` (MSBAS
inversion of a map stack), ``gfjax.build_scene`` (the synthetic Muldrow scene).
"""
__version__ = "0.1.0"

_LAZY = {
    "track_offsets": ("gfjax.offsets", "track_offsets"),
    "TrackingOptions": ("gfjax.offsets", "TrackingOptions"),
    "invert_maps": ("gfjax.msbas", "invert_maps"),
    "MsbasOptions": ("gfjax.msbas", "MsbasOptions"),
    "build_scene": ("gfjax.sim", "build_scene"),
    "SceneSpec": ("gfjax.sim", "SceneSpec"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'gfjax' has no attribute {name!r}")

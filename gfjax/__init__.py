"""gfjax: GPU-first JAX framework for glacier flow from Sentinel-1 offset tracking + MSBAS.

Top-level shortcuts (imported lazily: ``import gfjax`` imports jax and sets it up, nothing more):
``gfjax.track_offsets`` (offset tracking of one image pair), ``gfjax.invert_maps`` (MSBAS
inversion of a map stack), ``gfjax.build_scene`` (the synthetic Muldrow scene).
"""
__version__ = "0.1.0"


def _configure_jax() -> None:
    """CPU computations run in the calling thread (``jax_cpu_enable_async_dispatch=False``).

    jaxlib 0.10.2's CPU client, dispatching asynchronously, runs an executable on a worker of its
    own intra-op thread pool; that worker can block waiting for tasks queued behind itself, and
    the process then hangs for ever with every thread idle (seen in the MSBAS golden tests, about
    one process in ten, and in CI; stacks in docs/architecture.md). Synchronous dispatch runs the
    executable in the caller's thread instead. GPU backends are not affected. Set before any
    backend exists; a process that created one earlier keeps its setting."""
    import jax

    jax.config.update("jax_cpu_enable_async_dispatch", False)


_configure_jax()

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

"""Offset tracking: normalised cross-correlation of amplitude windows (see tracker.py)."""
from .options import TrackingOptions
from .tracker import track_offsets

__all__ = ["TrackingOptions", "track_offsets"]

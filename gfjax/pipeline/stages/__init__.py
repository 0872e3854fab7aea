"""The pipeline's stages, registered in pipeline order (importing this module registers them)."""
from gfjax.pipeline.stages import scene  # noqa: F401

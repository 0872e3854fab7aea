"""The pipeline's stages, registered in pipeline order (importing this module registers them):
scene → offsets → geocode → msbas → products."""
from gfjax.pipeline.stages import scene  # noqa: F401  (isort: keep order)
from gfjax.pipeline.stages import offsets  # noqa: F401
from gfjax.pipeline.stages import geocode  # noqa: F401
from gfjax.pipeline.stages import msbas  # noqa: F401
from gfjax.pipeline.stages import products  # noqa: F401

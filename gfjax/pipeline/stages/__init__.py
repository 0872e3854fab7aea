"""The pipeline's stages, registered in pipeline order (importing this module registers them):
scene → offsets → (export_offsets) → geocode → (export_msbas) → msbas → products; the exports
are optional (``Stage.enabled``: run when their ``output.*`` switch is on)."""
from gfjax.pipeline.stage import REGISTRY
from gfjax.pipeline.stages import scene  # noqa: F401  (isort: keep order)
from gfjax.pipeline.stages import offsets  # noqa: F401
from gfjax.pipeline.stages import exports

REGISTRY.add(exports.EXPORT_OFFSETS)
from gfjax.pipeline.stages import geocode  # noqa: E402, F401

REGISTRY.add(exports.EXPORT_MSBAS)
from gfjax.pipeline.stages import msbas  # noqa: E402, F401
from gfjax.pipeline.stages import products  # noqa: E402, F401

"""Synthetic data: band-limited speckle pairs and the synthetic Muldrow Glacier scene."""
from gfjax.sim.acquisitions import decimal_year  # noqa: F401
from gfjax.sim.reference import reference_product, write_reference_product  # noqa: F401
from gfjax.sim.scene import MuldrowScene, build_scene  # noqa: F401
from gfjax.core.scene_spec import SceneSpec  # noqa: F401

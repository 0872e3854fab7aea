"""The synthetic scene's options live in :mod:`gfjax.core.scene_spec` (read there by the config
schema of every run, so that a real-data run does not import the simulator)."""
from gfjax.core.scene_spec import KNOWN_TRACKS, SCENE_FIRST_DATE, SCENE_LAST_DATE, SceneSpec  # noqa: F401

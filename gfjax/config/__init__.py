"""Config schema registration for Hydra."""
from __future__ import annotations

from pathlib import Path

from hydra.core.config_store import ConfigStore

# The Hydra config tree ships inside the package (gfjax/conf/, package data of the wheel), so an
# installed gfjax finds it from any folder.
CONF_DIR = str(Path(__file__).resolve().parents[1] / "conf")


def register_configs() -> None:
    """Register the root schema as ``gfjax_schema`` (first entry of gfjax/conf/config.yaml's defaults)."""
    from gfjax.config.schema import GfjaxConfig

    ConfigStore.instance().store(name="gfjax_schema", node=GfjaxConfig)

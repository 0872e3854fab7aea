"""Config schema registration for Hydra."""
from __future__ import annotations

from hydra.core.config_store import ConfigStore


def register_configs() -> None:
    """Register the root schema as ``gfjax_schema`` (first entry of conf/config.yaml's defaults)."""
    from gfjax.config.schema import GfjaxConfig

    ConfigStore.instance().store(name="gfjax_schema", node=GfjaxConfig)

"""Checked by mypy (tests/test_protocols.py), never run: every data source meets the protocols
of gfjax/protocols.py that the stages read."""
import numpy as np

from gfjax.io.blocks import H5Blocks, MemmapBlocks, RasterioBlocks
from gfjax.io.msbas_scene import MsbasScene
from gfjax.io.s1_scene import S1Acq, S1Scene, S1Track
from gfjax.io.slc_formats import SlcMeta
from gfjax.io.stack import StackScene, StackTrack
from gfjax.protocols import (Acquisition, BlockRadarScene, Flowline, ImageBlocks, MapScene, RadarScene, Track,
                             Truth)
from gfjax.sim.flowline import Flowline as SimFlowline
from gfjax.sim.radar import Track as SimTrack
from gfjax.sim.scene import MuldrowScene


def synthetic(scene: MuldrowScene) -> tuple[RadarScene, Truth]:
    return scene, scene


def stack(scene: StackScene) -> tuple[RadarScene, BlockRadarScene]:
    return scene, scene


def blocks(a: MemmapBlocks, b: RasterioBlocks, c: H5Blocks, d: np.ndarray) -> tuple[ImageBlocks, ...]:
    return a, b, c, d


def maps(scene: MsbasScene) -> MapScene:
    return scene


def tracks(simulated: SimTrack, stacked: StackTrack) -> tuple[Track, Track]:
    return simulated, stacked


def acquisition(meta: SlcMeta) -> Acquisition:
    return meta


def sentinel1(scene: S1Scene, track: S1Track, acq: S1Acq) -> tuple[RadarScene, Track, Acquisition]:
    return scene, track, acq


def flowline(line: SimFlowline) -> Flowline:
    return line

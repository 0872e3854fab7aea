"""Structured config schema: every group of gfjax/conf/ is validated against these dataclasses, so an
unknown or misspelt key is an error that names it (Hydra/OmegaConf struct mode).

Groups whose parameters belong to an inner ring reuse that ring's own plain dataclass (the
scene's ``SceneSpec``, the tracker's ``TrackingOptions``, MSBAS's ``MsbasOptions``): the
pipeline hands them on unchanged, and their docstrings are the reference for each option.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, List, Optional

from gfjax.msbas.options import MsbasOptions
from gfjax.offsets.options import TrackingOptions
from gfjax.core.scene_spec import SceneSpec


def mutable_schema(cls: type, exclude: tuple[str, ...] = ()) -> type:
    """A plain (non-frozen, no ``__post_init__``) copy of a ring's options dataclass for
    OmegaConf, which cannot merge overrides into frozen dataclasses. ``to_settings`` turns the
    composed section back into ``cls`` itself, which then runs its own validation. Fields in
    ``exclude`` (execution settings) are not config keys of that section: ``execution`` sets them."""
    hints = typing.get_type_hints(cls)
    specs = []
    for f in dataclasses.fields(cls):
        if f.name in exclude:
            continue
        default = (field(default_factory=f.default_factory) if f.default is dataclasses.MISSING
                   else field(default=f.default))
        specs.append((f.name, hints[f.name], default))
    schema = dataclasses.make_dataclass(cls.__name__, specs)
    schema.__doc__ = cls.__doc__
    setattr(schema, "__gfjax_ring_class__", cls)
    return schema


# Execution settings of the rings' options: how work is cut for the hardware, never what it
# computes. They live in the ``execution`` section (not in the algorithm sections), so that no
# stage's fingerprint sees them: lowering a budget after an out-of-memory error keeps finished work.
EXECUTION_FIELDS = {"offsets": {"batch_size": "offsets_batch_size", "memory_budget_mb": "offsets_memory_budget_mb"},
                    "msbas": {"memory_budget_mb": "msbas_memory_budget_mb"}}

SceneSchema = mutable_schema(SceneSpec)
TrackingSchema = mutable_schema(TrackingOptions, exclude=tuple(EXECUTION_FIELDS["offsets"]))
MsbasSchema = mutable_schema(MsbasOptions, exclude=tuple(EXECUTION_FIELDS["msbas"]))


class DataSource(str, Enum):
    synthetic = "synthetic"  # the simulated Muldrow scene (options in the `scene` section)
    stack = "stack"  # a folder of coregistered SLCs or GAMMA offsets (layout: gfjax/io/stack.py)
    asf = "asf"  # Sentinel-1 search and download from ASF (gfjax/io/asf.py; needs the network)
    msbas = "msbas"  # MSBAS v10 inputs: data.path = header.txt (layout: gfjax/io/msbas_scene.py)
    autorift = "autorift"  # HyP3 autoRIFT products: data.path = their folder (gfjax/io/msbas_scene.py)
    sentinel1 = "sentinel1"  # Sentinel-1 IW SLC SAFE products (zip or folder): data.path = their folder (gfjax/io/s1_scene.py)
    safe_sim = "safe_sim"  # the synthetic scene (`scene`) written as SAFE products into the run folder, read as sentinel1


@dataclass
class DataConfig:
    """Where the data come from (gfjax/conf/data/{synthetic,stack,msbas,autorift,asf,sentinel1}.yaml). ``scene.*``
    applies to the synthetic source only; ``path``, ``tracks``, ``start``, ``end``, ``reference`` to a stack;
    ``aoi``/``bbox``, ``dem``, ``dem_datum``, ``geoid``, ``orbits``, ``margin_m`` to Sentinel-1 products."""

    source: DataSource = DataSource.synthetic
    path: Optional[str] = None  # stack: the stack folder; asf: the download folder
    tracks: List[str] = field(default_factory=list)  # stack: track folders to use; asf: relative orbits; [] = all
    frames: List[str] = field(default_factory=list)  # asf: frame numbers; [] = all over the area
    start: Optional[str] = None  # first acquisition date used, YYYY-MM-DD (inclusive); None = all
    end: Optional[str] = None  # last acquisition date used, YYYY-MM-DD (inclusive); None = all
    # stack: reference velocity products for validation, "YEAR=path" (or a path whose name holds
    # the year): a NetCDF with vx/vy, or a folder with ITS_LIVE vx.tif/vy.tif; [] = no validation
    reference: List[str] = field(default_factory=list)
    # sentinel1: the area of interest, a GeoJSON outline (lon/lat, or with a "crs" member; it is also
    # the ice mask) or bbox = [lon_min, lat_min, lon_max, lat_max] degrees (every cell ice); one of the two
    aoi: Optional[str] = None
    bbox: List[float] = field(default_factory=list)
    dem: Optional[str] = None  # sentinel1: the DEM (any GDAL raster in any CRS, SRTM .hgt(.zip), GeoTIFF)
    dem_datum: str = "egm96"  # sentinel1: its vertical datum, egm96 (SRTM) | egm2008 (GLO-30) | ellipsoid
    geoid: Optional[str] = None  # sentinel1: a geoid grid file (PROJ's us_nga_egm96_15.tif ...); None = PROJ / egm96
    orbits: Optional[str] = None  # sentinel1: a folder of *.EOF orbit files; None = data.path itself
    margin_m: float = 1000.0  # sentinel1: bursts and samples read around the AOI (m): room for windows and search


@dataclass
class GeometryConfig:
    """Filtering and geocoding of offset maps onto the common map grid."""

    # common map grid spacing (m). It must equal the scene's grid: by default it follows
    # scene.grid_spacing_m (the synthetic scene); None = whatever the data's grid is (a stack's
    # grid.yaml / dem.tif, the maps of msbas / autorift inputs)
    grid_spacing_m: Optional[float] = "${scene.grid_spacing_m}"  # type: ignore[assignment]
    filter_width_m: float = 200.0  # Gaussian filter full width = 6 sigma (m), 0 = off
    dem_smoothing_m: float = 500.0  # Gaussian width (6 sigma, m) of the DEM smoothing for gradients
    max_surface_slope: float = 1.0  # |dh/dN|, |dh/dE| above this are clipped (1.0 = 45 deg)
    min_valid_fraction: float = 0.5  # a map cell is no data if less than this of its support is valid
    # temporal consistency screen before filtering (gfjax/consistency.py): a window's offset is
    # kept only if it agrees with the same window in one of the `consistency_pairs` pairs before
    # or after it on its track (scaled by the durations), within consistency_tolerance_px +
    # consistency_relative x |offset| in both components; 0 = off. Windows with no valid
    # neighbour are kept when consistency_keep_isolated
    consistency_pairs: int = 0
    consistency_tolerance_px: float = 1.0
    consistency_relative: float = 0.1
    consistency_keep_isolated: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.consistency_pairs, int) and self.consistency_pairs < 0:
            raise ValueError(f"geometry.consistency_pairs must be >= 0 (0 = off), got {self.consistency_pairs}")
        for key in ("consistency_tolerance_px", "consistency_relative"):
            value = getattr(self, key)
            if isinstance(value, (int, float)) and not value >= 0:
                raise ValueError(f"geometry.{key} must be >= 0, got {value}")


class ParallelMode(str, Enum):
    auto = "auto"  # every local device (GPUs if any, else CPU), one process
    single = "single"  # one device, one process
    mpi = "mpi"  # many processes (mpirun/srun); collectives through mpi4jax


@dataclass
class ParallelConfig:
    mode: ParallelMode = ParallelMode.auto
    # SLURM array jobs: this task runs only chunk `chunk` (0-based) of `n_chunks` of the pairs
    # (offsets stage); None = all pairs. A re-run redoes only the pairs its chunk still lacks.
    chunk: Optional[int] = None
    n_chunks: int = 1
    distributed: bool = False  # with mode=mpi on multi-GPU nodes: jax.distributed.initialize()


@dataclass
class ProductsConfig:
    """Products, flowline analysis and figures."""

    rank_threshold: int = 0  # mask pixels whose time-matrix rank is below this (0 = keep all)
    marker_spacing_km: float = 5.0  # flowline markers every ... km
    marker_range_km: List[float] = field(default_factory=lambda: [5.0, 40.0])  # first, last marker
    region_px: int = 5  # side of the square region averaged at each marker (pixels)
    figures: bool = True
    animation: bool = True
    dpi: int = 150


@dataclass
class OutputConfig:
    root: str = "outputs"  # single runs go to <root>/<name>
    sweep_root: str = "multirun"  # sweeps go to <sweep_root>/<name>/<overrides>
    keep_intermediates: bool = False  # keep per-pair offsets / radar maps after use
    cog: bool = True  # write Cloud-Optimized GeoTIFFs
    # also write every pair's offsets as GAMMA files, offsets_gamma/<track>/<ref>_<sec>.offs/.ccp/.off
    # (the input layout of precomputed offsets); by the export_offsets stage (on for a finished run: written then)
    gamma_offsets: bool = False
    # also write every pair's offsets as ISCE / PyCuAmpcor ENVI outputs (dense_offsets, snr, covariance,
    # correlation_peak), offsets_ampcor/<track>/<ref>_<sec>/ (also an input layout of precomputed offsets)
    ampcor_offsets: bool = False
    # also write the geocoded map stack as an MSBAS v10 input folder, msbas_inputs/ (GeoTIFF maps, list
    # files, header.txt: run MSBAS itself, or gfjax with data.source=msbas); by the export_msbas stage
    msbas_inputs: bool = False


@dataclass
class ExecutionConfig:
    """How the work is cut for the machine; results do not depend on it (no fingerprint sees it).
    Devices and ranks: the ``parallel`` section."""

    # offsets: working memory of one window batch (sets windows per device call), MB; halved on
    # out-of-memory errors (the log says what to set to start there)
    offsets_memory_budget_mb: float = 1024.0
    offsets_batch_size: Optional[int] = None  # offsets: windows per device call (None = from the budget)
    msbas_memory_budget_mb: float = 1024.0  # MSBAS: working memory of one pixel block, MB


@dataclass
class GfjaxConfig:
    name: str = "default"  # experiment name: the run directory is <output.root>/<name>
    stages: List[str] = field(default_factory=lambda: ["scene"])
    force: bool = False  # re-run requested stages even if their outputs are up to date
    # made at import from the rings' classes (mutable_schema): types OmegaConf sees, mypy cannot
    scene: SceneSchema = field(default_factory=SceneSchema)  # type: ignore[valid-type]
    offsets: TrackingSchema = field(default_factory=TrackingSchema)  # type: ignore[valid-type]
    geometry: GeometryConfig = field(default_factory=GeometryConfig)
    msbas: MsbasSchema = field(default_factory=MsbasSchema)  # type: ignore[valid-type]
    products: ProductsConfig = field(default_factory=ProductsConfig)
    parallel: ParallelConfig = field(default_factory=ParallelConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    data: DataConfig = field(default_factory=DataConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)


# Tracking options a method does not read: setting one to other than its default is an error
# naming it (TrackingOptions.method lists them), instead of a key that silently does nothing.
IGNORED_BY_METHOD = {"fast": ("oversample", "oversample_scope", "deramp", "two_stage", "subpixel_factor",
                              "zoom_halfwidth")}


def unknown_keys(values: Any, schema: type = GfjaxConfig, prefix: str = "") -> list[str]:
    """Dotted names of keys in ``values`` (a plain nested dict) that no field of the dataclass
    ``schema`` declares. Struct mode already rejects misspelt keys, but Hydra's ``+key=value``
    and ``++key=value`` append keys past it."""
    names = {f.name: f for f in dataclasses.fields(schema)}
    hints = typing.get_type_hints(schema)
    out = []
    for key, value in values.items():
        if key not in names:
            out.append(prefix + str(key))
        elif dataclasses.is_dataclass(hints[key]) and isinstance(value, dict):
            out.extend(unknown_keys(value, hints[key], f"{prefix}{key}."))
    return out


def _unknown_key_message(keys: list[str]) -> str:
    import difflib

    hints = []
    for key in keys:
        *section, name = key.split(".")
        schema: Any = GfjaxConfig
        for part in section:
            schema = typing.get_type_hints(schema)[part]
        close = difflib.get_close_matches(name, [f.name for f in dataclasses.fields(schema)], n=1)
        hints.append(f"{key} (did you mean {'.'.join(section + close)}?)" if close else key)
    return (f"unknown config key(s) {', '.join(hints)}: no option of gfjax reads them "
            "(the options: gfjax/config/schema.py, python -m gfjax.run --help)")


def _check_method_options(offsets) -> None:
    """A key the chosen tracking method ignores, set to other than its default, is an error."""
    defaults = type(offsets)()
    ignored = [k for k in IGNORED_BY_METHOD.get(offsets.method, ())
               if getattr(offsets, k) != getattr(defaults, k)]
    if ignored:
        raise ValueError(f"offsets.method={offsets.method} ignores "
                         + ", ".join(f"offsets.{k}={getattr(offsets, k)!r}" for k in ignored)
                         + ": remove them (or set them to their defaults: "
                         + ", ".join(f"{k}={getattr(defaults, k)!r}" for k in ignored) + ")")


def _check_grid(settings) -> None:
    """The synthetic scene's truth and lookup tables live on its own grid: a different map grid
    is an error before any stage (a stack's grid is checked once it is read)."""
    want, scene = settings.geometry.grid_spacing_m, settings.scene
    if settings.data.source == DataSource.synthetic and want is not None and abs(want - scene.grid_spacing_m) > 1e-6:
        raise ValueError(f"geometry.grid_spacing_m={want} differs from scene.grid_spacing_m={scene.grid_spacing_m}: "
                         "the synthetic scene's lookup tables and truth live on its own grid; leave "
                         "geometry.grid_spacing_m out (it follows the scene) or set both to the same spacing")


def to_settings(cfg: Any) -> GfjaxConfig:
    """Validated settings from a composed config: sections borrowed from inner rings become
    those rings' own dataclasses (running their validation); errors name the section. Keys no
    schema declares and options the chosen method ignores are errors naming them."""
    from omegaconf import OmegaConf

    unknown = unknown_keys(OmegaConf.to_container(cfg, resolve=False))
    if unknown:
        raise ValueError(_unknown_key_message(unknown))
    settings: Any = OmegaConf.to_object(cfg)
    execution = settings.execution
    runtime = {"offsets": {"batch_size": execution.offsets_batch_size,
                           "memory_budget_mb": execution.offsets_memory_budget_mb},
               "msbas": {"memory_budget_mb": execution.msbas_memory_budget_mb}}
    for f in dataclasses.fields(settings):
        section = getattr(settings, f.name)
        ring_cls = getattr(type(section), "__gfjax_ring_class__", None)
        if ring_cls is None:
            continue
        try:
            value = ring_cls(**dataclasses.asdict(section), **runtime.get(f.name, {}))
            if hasattr(value, "validate"):
                value = value.validate() or value
        except (TypeError, ValueError) as err:
            raise ValueError(f"config section '{f.name}': {err}") from None
        setattr(settings, f.name, value)
    _check_method_options(settings.offsets)
    _check_grid(settings)
    return settings

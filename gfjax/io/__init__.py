"""Readers and writers (geometry/I-O ring): CF NetCDF, GeoTIFF/COG, ITS_LIVE, and real-data formats:
Sentinel-1 SAFE, ENVI / ISCE rasters, PyCuAmpcor offsets, HyP3 autoRIFT, HDF5 SLC stacks, MSBAS
input folders, ASF search plans.

The names below are imported on first use (PEP 562): ``import gfjax.io.msbas_header`` (the
MSBAS command line) does not pay for xarray, pandas, h5py… of the other readers."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> submodule of gfjax.io that defines it
_LAZY = {
    "read_geotiff": "geotiff",
    "write_geotiff": "geotiff",
    "read_itslive": "itslive",
    "reproject_to_grid": "itslive",
    "GRID_MAPPING": "netcdf",
    "attach_grid": "netcdf",
    "grid_coords": "netcdf",
    "grid_from_dataset": "netcdf",
    "read_netcdf": "netcdf",
    "write_netcdf": "netcdf",
    "read_dense_offsets": "ampcor",
    "write_dense_offsets": "ampcor",
    "DownloadItem": "asf",
    "NoNetworkError": "asf",
    "download_plan": "asf",
    "execute_plan": "asf",
    "network_available": "asf",
    "plan_download": "asf",
    "search_params": "asf",
    "read_autorift": "autorift",
    "EnviHeader": "envi",
    "RawFormatError": "envi",
    "RawLayout": "envi",
    "read_envi": "envi",
    "read_envi_header": "envi",
    "read_raw": "envi",
    "write_envi": "envi",
    "write_envi_header": "envi",
    "SlcStackError": "hdf5_stack",
    "read_slc_stack": "hdf5_stack",
    "slc_stack_info": "hdf5_stack",
    "write_slc_stack": "hdf5_stack",
    "isce_layout": "isce",
    "read_isce_xml": "isce",
    "read_vrt": "isce",
    "MsbasInputs": "msbas_export",
    "MsbasSet": "msbas_export",
    "export_msbas": "msbas_export",
    "read_msbas_inputs": "msbas_export",
    "Burst": "sentinel1",
    "Sentinel1Error": "sentinel1",
    "Sentinel1Swath": "sentinel1",
    "find_annotations": "sentinel1",
    "read_sentinel1": "sentinel1",
    "relative_orbit": "sentinel1",
    "GammaFormatError": "gamma",
    "SlcParams": "gamma",
    "read_dem": "gamma",
    "read_slc": "gamma",
    "read_slc_par": "gamma",
    "write_dem": "gamma",
    "write_slc": "gamma",
    "write_slc_par": "gamma",
    "OffsetParams": "gamma_offsets",
    "offsets_dataset": "gamma_offsets",
    "read_offsets": "gamma_offsets",
    "write_offsets": "gamma_offsets",
    "write_offsets_dataset": "gamma_offsets",
    "SLC_FORMATS": "slc_formats",
    "SlcFormat": "slc_formats",
    "SlcMeta": "slc_formats",
    "register_slc_format": "slc_formats",
    "write_slc_geotiff": "slc_formats",
    "write_slc_raw": "slc_formats",
    "StackError": "stack",
    "StackScene": "stack",
    "load_stack": "stack",
    "write_stack": "stack_write",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:        # the same names, eagerly, for type checkers
    from .geotiff import read_geotiff, write_geotiff
    from .itslive import read_itslive, reproject_to_grid
    from .netcdf import GRID_MAPPING, attach_grid, grid_coords, grid_from_dataset, read_netcdf, write_netcdf
    from .ampcor import read_dense_offsets, write_dense_offsets
    from .asf import (DownloadItem, NoNetworkError, download_plan, execute_plan, network_available, plan_download,
        search_params)
    from .autorift import read_autorift
    from .envi import (EnviHeader, RawFormatError, RawLayout, read_envi, read_envi_header, read_raw, write_envi,
        write_envi_header)
    from .hdf5_stack import SlcStackError, read_slc_stack, slc_stack_info, write_slc_stack
    from .isce import isce_layout, read_isce_xml, read_vrt
    from .msbas_export import MsbasInputs, MsbasSet, export_msbas, read_msbas_inputs
    from .sentinel1 import Burst, Sentinel1Error, Sentinel1Swath, find_annotations, read_sentinel1, relative_orbit
    from .gamma import GammaFormatError, SlcParams, read_dem, read_slc, read_slc_par, write_dem, write_slc, write_slc_par
    from .gamma_offsets import OffsetParams, offsets_dataset, read_offsets, write_offsets, write_offsets_dataset
    from .slc_formats import SLC_FORMATS, SlcFormat, SlcMeta, register_slc_format, write_slc_geotiff, write_slc_raw
    from .stack import StackError, StackScene, load_stack
    from .stack_write import write_stack


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gfjax.io' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gfjax.io.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

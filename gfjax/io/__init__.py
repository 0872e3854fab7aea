"""Readers and writers (geometry/I-O ring): CF NetCDF, GeoTIFF/COG, ITS_LIVE, and real-data formats:
Sentinel-1 SAFE, ENVI / ISCE rasters, PyCuAmpcor offsets, HyP3 autoRIFT, HDF5 SLC stacks, MSBAS
input folders, ASF search plans."""
from .geotiff import read_geotiff, write_geotiff
from .itslive import read_itslive, reproject_to_grid
from .netcdf import GRID_MAPPING, attach_grid, grid_coords, grid_from_dataset, read_netcdf, write_netcdf

__all__ = ["GRID_MAPPING", "attach_grid", "grid_coords", "grid_from_dataset", "read_geotiff", "read_itslive",
           "read_netcdf", "reproject_to_grid", "write_geotiff", "write_netcdf"]

# real-data formats (issue 8)
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

__all__ += ["Burst", "DownloadItem", "EnviHeader", "MsbasInputs", "MsbasSet", "NoNetworkError", "RawFormatError",
            "RawLayout", "Sentinel1Error", "Sentinel1Swath", "SlcStackError", "download_plan", "execute_plan",
            "export_msbas", "find_annotations", "isce_layout", "network_available", "plan_download",
            "read_autorift", "read_dense_offsets", "read_envi", "read_envi_header", "read_isce_xml",
            "read_msbas_inputs", "read_raw", "read_sentinel1", "read_slc_stack", "read_vrt", "relative_orbit",
            "search_params", "slc_stack_info", "write_dense_offsets", "write_envi", "write_envi_header",
            "write_slc_stack"]

# GAMMA files, SLC format registry, stack folders (the +experiment=stack input)
from .gamma import GammaFormatError, SlcParams, read_dem, read_slc, read_slc_par, write_dem, write_slc, write_slc_par
from .gamma_offsets import OffsetParams, offsets_dataset, read_offsets, write_offsets, write_offsets_dataset
from .slc_formats import SLC_FORMATS, SlcFormat, SlcMeta, register_slc_format, write_slc_geotiff, write_slc_raw
from .stack import StackError, StackScene, load_stack
from .stack_write import write_stack

__all__ += ["GammaFormatError", "OffsetParams", "SLC_FORMATS", "SlcFormat", "SlcMeta", "SlcParams", "StackError",
            "StackScene", "load_stack", "offsets_dataset", "read_dem", "read_offsets", "read_slc", "read_slc_par",
            "register_slc_format", "write_dem", "write_offsets", "write_offsets_dataset", "write_slc",
            "write_slc_geotiff", "write_slc_par", "write_slc_raw", "write_stack"]

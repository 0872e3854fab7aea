"""Readers and writers of gfjax products (geometry/I-O ring): CF NetCDF, GeoTIFF, ITS_LIVE."""
from .geotiff import read_geotiff, write_geotiff
from .itslive import read_itslive, reproject_to_grid
from .netcdf import GRID_MAPPING, attach_grid, grid_coords, grid_from_dataset, read_netcdf, write_netcdf

__all__ = ["GRID_MAPPING", "attach_grid", "grid_coords", "grid_from_dataset", "read_geotiff", "read_itslive",
           "read_netcdf", "reproject_to_grid", "write_geotiff", "write_netcdf"]

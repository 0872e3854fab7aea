"""Geometry ring: map grids, CRSs, radar projection vectors, geocoding, surface gradients."""
from .crs import crs_from_epsg, lonlat_to_xy, rotate_vectors, utm_epsg, utm_grid, vector_rotation, xy_to_lonlat
from .geocode import bilinear_sample, geocode_maps, lut_from_radar_lookup, radar_positions, sample_map
from .gradients import surface_gradients
from .grid import MapGrid
from .projection import (displacement_to_offsets, ground_spacing, offsets_to_displacement, project_displacement,
                         projection_vectors)

__all__ = ["MapGrid", "bilinear_sample", "crs_from_epsg", "displacement_to_offsets", "geocode_maps", "ground_spacing",
           "lonlat_to_xy", "lut_from_radar_lookup", "offsets_to_displacement", "project_displacement", "projection_vectors",
           "radar_positions", "rotate_vectors", "sample_map", "surface_gradients", "utm_epsg", "utm_grid",
           "vector_rotation", "xy_to_lonlat"]

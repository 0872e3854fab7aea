"""Products of the MSBAS time series (geometry/I-O ring, NumPy + xarray): mean velocity with
ITS_LIVE names and GeoTIFFs (``velocity``), central-flowline profiles and marker series
(``flowline``), validation against truth and reference (``validation``), synthetic time series
from the scene truth (``synthetic``)."""
from .flowline import flowline_profiles
from .validation import annual_speed, read_reference_on_grid, reference_metrics, truth_metrics
from .velocity import mean_velocity, write_velocity_geotiffs

__all__ = ["annual_speed", "flowline_profiles", "mean_velocity", "read_reference_on_grid",
           "reference_metrics", "truth_metrics", "write_velocity_geotiffs"]

"""Concepts shared by the simulator and the real-data paths, one home each (ring 2, NumPy).

Real-data modules (``gfjax.io``, ``gfjax.pipeline.stages``, ``gfjax.msbas.cli``/``api``) import
these, never ``gfjax.sim`` or ``gfjax.msbas.synthetic`` (``tests/test_core_imports.py``).
"""

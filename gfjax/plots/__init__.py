"""Figures (matplotlib Agg): ``scene`` (synthetic scene truth), ``products`` (product figures)."""

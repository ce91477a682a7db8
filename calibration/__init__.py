"""Calibration of the flywheel model to observed data: loading, fitting, statistics, reports."""

"""Yardsticks shared by every family: distances between feature sets, and the calibration ladder."""

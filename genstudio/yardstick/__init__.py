"""Yardsticks: each model family's distance to held-out data, printed beside its calibration ladder."""

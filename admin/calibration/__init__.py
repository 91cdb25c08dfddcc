"""Calibration: a camera's counting line and zones (validated, with warnings), and its snapshots."""

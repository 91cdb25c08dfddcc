"""Cameras: create (with a worker key shown once), list, update, enable/disable, rotate the key."""

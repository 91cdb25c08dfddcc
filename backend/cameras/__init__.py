"""Cameras: what the backend derives about a camera from its worker's reports (health status)."""

"""Stores as their owners see them."""

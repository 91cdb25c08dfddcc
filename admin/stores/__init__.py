"""Stores: create, list, update, deactivate and reactivate, with validated timezone and opening hours."""

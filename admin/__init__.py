"""Store Intelligence admin API and console (superadmin only)."""

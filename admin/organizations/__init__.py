"""Organizations (tenants): create, list, rename, deactivate and reactivate."""

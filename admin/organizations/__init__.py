"""Organizations (tenants): create, list, rename, deactivate and reactivate, schedule and cancel
deletion (the purge itself is `backend.organizations.deletion`)."""

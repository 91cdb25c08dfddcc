"""Organization lifecycle that runs outside a request: the purge of organizations whose deletion is due."""

"""Camera health across organizations: status, heartbeat figures, snapshot age, recent events."""

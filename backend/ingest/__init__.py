"""Worker ingestion: config, batched idempotent events, heartbeats and snapshots."""

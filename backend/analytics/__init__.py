"""Owner analytics: live occupancy, footfall, dwell time, funnel, heatmap and anomalies."""

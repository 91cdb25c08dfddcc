"""The main job in one command: backend on the embedded default, a worker on a real video, KPIs on screen."""

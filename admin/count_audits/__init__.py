"""Count audits: a hand count of a camera's IN and OUT over a window, compared with its stored events."""

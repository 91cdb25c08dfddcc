"""Organization members and invites: invite by email with a role, list, change role, remove."""

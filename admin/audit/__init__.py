"""The admin audit log: every admin write, with who, what, when, and the entity before and after."""

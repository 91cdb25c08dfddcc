"""Authentication and authorization: owner JWTs, the built-in issuer, admins and worker keys."""

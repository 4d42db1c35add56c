"""Small functions shared by the routes. They take the request's session as ``db``."""

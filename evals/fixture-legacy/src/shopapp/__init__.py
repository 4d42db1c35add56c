"""shopapp: the shop backend (customers, catalogue, carts, checkout, orders)."""

__version__ = "3.4.0"

"""The ASGI application: ``uvicorn shopapp.main:app``. Create the tables first with
``python -m shopapp.initdb``."""

from fastapi import FastAPI

from shopapp import __version__
from shopapp.error_handlers import register_error_handlers
from shopapp.routes import admin, carts, coupons, customers, orders, products

app = FastAPI(title="shopapp", version=__version__)
register_error_handlers(app)

for module in (customers, products, coupons, carts, orders, admin):
    app.include_router(module.router)


@app.get("/health", tags=["ops"])
def health() -> dict[str, str]:
    return {"status": "ok"}

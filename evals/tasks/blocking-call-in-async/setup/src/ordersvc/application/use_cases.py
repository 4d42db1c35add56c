"""The `UseCases` container: what the presentation layer depends on."""

from dataclasses import dataclass

from ordersvc.application.catalog import (
    AddStock,
    ChangeProductPrice,
    CreateProduct,
    GetProduct,
    GetStock,
    ListProducts,
)
from ordersvc.application.customers import GetCustomer, RegisterCustomer
from ordersvc.application.invoices import GetInvoice
from ordersvc.application.orders import CancelOrder, GetOrder, PlaceOrder


@dataclass(frozen=True, slots=True)
class UseCases:
    register_customer: RegisterCustomer
    get_customer: GetCustomer
    create_product: CreateProduct
    get_product: GetProduct
    list_products: ListProducts
    change_product_price: ChangeProductPrice
    add_stock: AddStock
    get_stock: GetStock
    place_order: PlaceOrder
    get_order: GetOrder
    cancel_order: CancelOrder
    get_invoice: GetInvoice

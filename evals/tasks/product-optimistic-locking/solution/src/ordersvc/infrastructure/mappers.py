"""Mapping between table models and domain objects, in both directions."""

from ordersvc.domain.catalog import Product, Stock
from ordersvc.domain.customer import Customer
from ordersvc.domain.money import Money
from ordersvc.domain.order import Order, OrderLine, OrderStatus
from ordersvc.infrastructure.models import (
    CustomerModel,
    OrderLineModel,
    OrderModel,
    ProductModel,
    StockModel,
)


def customer_to_domain(row: CustomerModel) -> Customer:
    return Customer(id=row.id, email=row.email, name=row.name)


def customer_to_model(customer: Customer) -> CustomerModel:
    return CustomerModel(email=customer.email, name=customer.name)


def update_customer_model(row: CustomerModel, customer: Customer) -> None:
    row.email = customer.email
    row.name = customer.name


def product_to_domain(row: ProductModel) -> Product:
    return Product(
        id=row.id,
        sku=row.sku,
        name=row.name,
        price=Money.from_cents(row.price_cents, row.currency),
        version=row.version,
    )


def product_to_model(product: Product) -> ProductModel:
    row = ProductModel()
    update_product_model(row, product)
    return row


def update_product_model(row: ProductModel, product: Product) -> None:
    row.sku = product.sku
    row.name = product.name
    row.price_cents = product.price.cents
    row.currency = product.price.currency
    row.version = product.version


def stock_to_domain(row: StockModel) -> Stock:
    return Stock(product_id=row.product_id, quantity=row.quantity)


def stock_to_model(stock: Stock) -> StockModel:
    return StockModel(product_id=stock.product_id, quantity=stock.quantity)


def update_stock_model(row: StockModel, stock: Stock) -> None:
    row.quantity = stock.quantity


def order_to_domain(row: OrderModel) -> Order:
    """Needs `row.lines` loaded (selectinload); lazy loading is disabled."""
    lines = tuple(
        OrderLine(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=Money.from_cents(line.unit_price_cents, row.currency),
        )
        for line in row.lines
    )
    return Order(
        id=row.id, customer_id=row.customer_id, lines=lines, status=OrderStatus(row.status)
    )


def order_to_model(order: Order) -> OrderModel:
    return OrderModel(
        customer_id=order.customer_id,
        status=order.status.value,
        currency=order.currency,
        lines=[
            OrderLineModel(
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price_cents=line.unit_price.cents,
            )
            for line in order.lines
        ],
    )


def update_order_model(row: OrderModel, order: Order) -> None:
    """Lines are immutable once the order exists; only the status changes."""
    row.status = order.status.value

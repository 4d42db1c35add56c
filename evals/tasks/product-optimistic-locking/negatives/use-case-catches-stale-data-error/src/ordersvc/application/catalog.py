"""Product and stock use cases."""

from sqlalchemy.orm.exc import StaleDataError

from ordersvc.application.dto import NewProduct, PriceChange, ProductDTO, StockAddition, StockDTO
from ordersvc.application.unit_of_work import AbstractUnitOfWork, UnitOfWorkFactory
from ordersvc.domain.catalog import Product, Stock
from ordersvc.domain.errors import DuplicateSku, ProductNotFound, StaleVersion
from ordersvc.domain.money import Money


class CreateProduct:
    """Creates the product and its (empty) stock record in one transaction."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, command: NewProduct) -> ProductDTO:
        product = Product(
            sku=command.sku, name=command.name, price=Money(command.price, command.currency)
        )
        async with self._uow_factory() as uow:
            if await uow.products.get_by_sku(product.sku) is not None:
                raise DuplicateSku(product.sku)
            await uow.products.add(product)
            await uow.stock.add(Stock(product_id=product.identity))
            await uow.commit()
        return ProductDTO.from_domain(product)


class GetProduct:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, product_id: int) -> ProductDTO:
        async with self._uow_factory() as uow:
            product = await require_product(uow, product_id)
        return ProductDTO.from_domain(product)


class ListProducts:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self) -> list[ProductDTO]:
        async with self._uow_factory() as uow:
            products = await uow.products.list()
        return [ProductDTO.from_domain(product) for product in products]


class ChangeProductPrice:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, command: PriceChange) -> ProductDTO:
        price = Money(command.price, command.currency)
        async with self._uow_factory() as uow:
            product = await require_product(uow, command.product_id)
            product.change_price(price, expected_version=command.expected_version)
            try:
                await uow.commit()
            except StaleDataError as exc:
                raise StaleVersion(
                    f"product {command.product_id} was changed concurrently"
                ) from exc
        return ProductDTO.from_domain(product)


class AddStock:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, command: StockAddition) -> StockDTO:
        async with self._uow_factory() as uow:
            stock = await require_stock(uow, command.product_id)
            stock.add(command.quantity)
            await uow.commit()
        return StockDTO.from_domain(stock)


class GetStock:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, product_id: int) -> StockDTO:
        async with self._uow_factory() as uow:
            stock = await require_stock(uow, product_id)
        return StockDTO.from_domain(stock)


async def require_product(uow: AbstractUnitOfWork, product_id: int) -> Product:
    """The product, or ProductNotFound."""
    product = await uow.products.get(product_id)
    if product is None:
        raise ProductNotFound(product_id)
    return product


async def require_stock(uow: AbstractUnitOfWork, product_id: int) -> Stock:
    """The stock record of a product (created with the product), or ProductNotFound."""
    stock = await uow.stock.get(product_id)
    if stock is None:
        raise ProductNotFound(product_id)
    return stock

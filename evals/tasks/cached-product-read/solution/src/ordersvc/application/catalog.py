"""Product and stock use cases.

Product reads are cache-aside through the Cache port; every write that changes what a product read
returns deletes the cached entry after its commit.
"""

from pydantic import TypeAdapter

from ordersvc.application.dto import NewProduct, PriceChange, ProductDTO, StockAddition, StockDTO
from ordersvc.application.ports import Cache
from ordersvc.application.unit_of_work import AbstractUnitOfWork, UnitOfWorkFactory
from ordersvc.domain.catalog import Product, Stock
from ordersvc.domain.errors import DuplicateSku, ProductNotFound
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


# Bump the version when ProductDTO changes shape, so old entries are never decoded as new ones.
_PRODUCT_KEY = "product:v1:{product_id}"
_PRODUCT_JSON = TypeAdapter(ProductDTO)


def product_cache_key(product_id: int) -> str:
    return _PRODUCT_KEY.format(product_id=product_id)


class GetProduct:
    """Cache-aside: a hit skips the database; a miss loads the product and caches it."""

    def __init__(self, uow_factory: UnitOfWorkFactory, cache: Cache) -> None:
        self._uow_factory = uow_factory
        self._cache = cache

    async def execute(self, product_id: int) -> ProductDTO:
        key = product_cache_key(product_id)
        cached = await self._cache.get(key)
        if cached is not None:
            return _PRODUCT_JSON.validate_json(cached)
        async with self._uow_factory() as uow:
            product = await require_product(uow, product_id)
        dto = ProductDTO.from_domain(product)
        await self._cache.set(key, _PRODUCT_JSON.dump_json(dto))
        return dto


class ListProducts:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self) -> list[ProductDTO]:
        async with self._uow_factory() as uow:
            products = await uow.products.list()
        return [ProductDTO.from_domain(product) for product in products]


class ChangeProductPrice:
    """Saves the new price, then drops the cached product so the next read sees it."""

    def __init__(self, uow_factory: UnitOfWorkFactory, cache: Cache) -> None:
        self._uow_factory = uow_factory
        self._cache = cache

    async def execute(self, command: PriceChange) -> ProductDTO:
        price = Money(command.price, command.currency)
        async with self._uow_factory() as uow:
            product = await require_product(uow, command.product_id)
            product.change_price(price)
            await uow.commit()
        # After the commit: a read between an earlier delete and the commit would re-cache the
        # old price.
        await self._cache.delete(product_cache_key(command.product_id))
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

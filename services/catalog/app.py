"""catalog: product list, search and detail from Postgres, cached in Redis.

Cache-aside with one key per query and a TTL; every response says
`X-Cache: hit` or `miss`. Runtime bad config: `page_size` (PUT /admin/faults
{"config": {"page_size": 5000}}) is accepted without an upper bound and makes
every list query read and serialise that many rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from labsvc import faults
from labsvc.cache import JsonCache
from labsvc.config import Settings, env_int
from labsvc.http import DB_KEY, REDIS_KEY, ApiError, create_app, json_response, run, with_postgres, with_redis

MAX_QUERY_LEN = 100
SEARCH_LIMIT = 20

PRODUCT_SELECT_FROM = """
    p.id, p.sku, p.name, p.description, p.price_cents, c.slug AS category
    FROM products p JOIN categories c ON c.id = p.category_id
"""


@dataclass(frozen=True)
class CatalogConfig:
    page_size: int
    cache_ttl_s: int

    @classmethod
    def from_env(cls) -> CatalogConfig:
        return cls(
            page_size=env_int(os.environ, "CATALOG_PAGE_SIZE", 20, minimum=1, maximum=200),
            cache_ttl_s=env_int(os.environ, "CATALOG_CACHE_TTL_S", 60, minimum=1),
        )


CONFIG_KEY = web.AppKey("catalog_config", CatalogConfig)
CACHE_KEY = web.AppKey("catalog_cache", JsonCache)


def _positive_int(raw: str, name: str, default: int) -> int:
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, "bad_request", detail=f"{name} must be a positive integer")
    return int(raw)


def _cached(data: Any, hit: bool) -> web.Response:
    return json_response(data, headers={"X-Cache": "hit" if hit else "miss"})


async def list_products(request: web.Request) -> web.Response:
    page = _positive_int(request.query.get("page", ""), "page", 1)
    category = request.query.get("category", "")
    if len(category) > MAX_QUERY_LEN:
        raise ApiError(400, "bad_request", detail="category is too long")
    page_size = faults.SWITCHES.config_value("page_size", request.app[CONFIG_KEY].page_size)
    db = request.app[DB_KEY]

    async def load() -> dict[str, Any]:
        rows = await db.fetch(
            "list_products",
            f"SELECT {PRODUCT_SELECT_FROM} WHERE ($1 = '' OR c.slug = $1) ORDER BY p.id LIMIT $2 OFFSET $3",
            category,
            page_size,
            (page - 1) * page_size,
        )
        return {
            "page": page,
            "page_size": page_size,
            "category": category or None,
            "items": [dict(r) for r in rows],
        }

    key = f"catalog:list:{category}:{page}:{page_size}"
    data, hit = await request.app[CACHE_KEY].get_or_load(key, load)
    return _cached(data, hit)


async def search_products(request: web.Request) -> web.Response:
    query = " ".join(request.query.get("q", "").lower().split())
    if not query or len(query) > MAX_QUERY_LEN:
        raise ApiError(400, "bad_request", detail=f"q must be 1 to {MAX_QUERY_LEN} characters")
    db = request.app[DB_KEY]

    async def load() -> dict[str, Any]:
        rows = await db.fetch(
            "search_products",
            f"SELECT {PRODUCT_SELECT_FROM}, plainto_tsquery('english', $1) AS q "
            "WHERE p.search @@ q ORDER BY ts_rank(p.search, q) DESC, p.id LIMIT $2",
            query,
            SEARCH_LIMIT,
        )
        return {"query": query, "items": [dict(r) for r in rows]}

    data, hit = await request.app[CACHE_KEY].get_or_load(f"catalog:search:{query}", load)
    return _cached(data, hit)


async def get_product(request: web.Request) -> web.Response:
    product_id = _positive_int(request.match_info["id"], "id", 0)
    db = request.app[DB_KEY]

    async def load() -> dict[str, Any] | None:
        row = await db.fetchrow("get_product", f"SELECT {PRODUCT_SELECT_FROM} WHERE p.id = $1", product_id)
        return dict(row) if row is not None else None

    data, hit = await request.app[CACHE_KEY].get_or_load(f"catalog:product:{product_id}", load)
    if data is None:
        raise ApiError(404, "not_found", product_id=product_id)
    return _cached(data, hit)


def build_app(settings: Settings) -> web.Application:
    config = CatalogConfig.from_env()
    app = create_app(settings, config_keys={"page_size": faults.positive_int("page_size")})
    app[CONFIG_KEY] = config
    with_postgres(app)
    with_redis(app)

    async def make_cache(app: web.Application) -> None:
        app[CACHE_KEY] = JsonCache(app[REDIS_KEY], config.cache_ttl_s)

    app.on_startup.append(make_cache)
    app.router.add_get("/products", list_products)
    app.router.add_get("/products/search", search_products)
    app.router.add_get("/products/{id}", get_product)
    return app


if __name__ == "__main__":
    run(build_app)

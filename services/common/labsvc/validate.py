"""Request-body field checks shared by the services; failures are 400 ApiErrors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from labsvc.http import ApiError

MAX_ITEMS = 50


def positive_int(body: Mapping[str, Any], key: str, maximum: int = 2**31 - 1) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ApiError(400, "bad_request", detail=f"'{key}' must be an integer between 1 and {maximum}")
    return value


def order_ref(body: Mapping[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(body.get("order_ref")))
    except ValueError:
        raise ApiError(400, "bad_request", detail="'order_ref' must be a UUID") from None


def items(body: Mapping[str, Any]) -> dict[int, int]:
    """`[{"product_id", "quantity"}, ...]` -> {product_id: total quantity}."""
    raw = body.get("items")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_ITEMS:
        raise ApiError(400, "bad_request", detail=f"'items' must be a list of 1 to {MAX_ITEMS} items")
    merged: dict[int, int] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise ApiError(400, "bad_request", detail="each item must be an object with product_id and quantity")
        product_id = positive_int(item, "product_id")
        merged[product_id] = merged.get(product_id, 0) + positive_int(item, "quantity", maximum=100)
    return merged

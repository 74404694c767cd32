"""Steady shop traffic for the lab: the user journeys a real shop sees, with think times.

Journeys and weights (share of tasks): browse the listing 30, search 20, view a product
25, add to cart 10 (reads the product for its price and stock), check out 8, look up an
order's status 7. Each simulated user thinks 0.5-1.5 s between steps, so N users make
about N requests a second. A declined card (402) or scarce stock (409) is a normal answer
for a shop, not a failure; any other non-2xx is.

Targets the gateway by its service name on the lab's network; `lab load` changes the
number of users live through the web UI's API (published on 127.0.0.1 only).
"""

from __future__ import annotations

import random

from locust import FastHttpUser, between, task

PRODUCTS = 5000
USERS = 2000
CATEGORIES = ("coffee", "tea", "kitchen", "outdoor", "garden", "books", "office", "lighting", "travel", "tools")
WORDS = ("lamp", "chair", "mug", "oak", "steel", "wireless", "eco", "bamboo", "travel", "leather", "desk", "bag")
CHECKOUT_OK = (201, 402, 409)


class Shopper(FastHttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.user_id = random.randint(1, USERS)
        self.cart: dict[int, int] = {}
        self.orders: list[int] = []

    @task(30)
    def browse(self) -> None:
        params: dict[str, object] = {"page": random.randint(1, 5)}
        if random.random() < 0.5:
            params["category"] = random.choice(CATEGORIES)
        self.client.get("/api/products", params=params, name="browse")

    @task(20)
    def search(self) -> None:
        self.client.get("/api/products/search", params={"q": random.choice(WORDS)}, name="search")

    @task(25)
    def view_product(self) -> None:
        self.client.get(f"/api/products/{_product()}", name="view product")

    @task(10)
    def add_to_cart(self) -> None:
        product = _product()
        with self.client.get(f"/api/products/{product}", name="add to cart", catch_response=True) as resp:
            if resp.status_code == 200:
                self.cart[product] = self.cart.get(product, 0) + 1
                resp.success()
            else:
                resp.failure(f"status {resp.status_code}")

    @task(8)
    def checkout(self) -> None:
        if not self.cart:
            self.cart[_product()] = 1
        items = [{"product_id": p, "quantity": q} for p, q in self.cart.items()]
        body = {"user_id": self.user_id, "items": items}
        with self.client.post("/api/checkout", json=body, name="checkout", catch_response=True) as resp:
            if resp.status_code in CHECKOUT_OK:
                if resp.status_code == 201:
                    self.orders = [*self.orders[-9:], int(resp.json()["order_id"])]
                self.cart.clear()
                resp.success()
            else:
                resp.failure(f"status {resp.status_code}")

    @task(7)
    def order_status(self) -> None:
        # A user without orders of their own looks up one of the seeded orders.
        order = random.choice(self.orders) if self.orders else random.randint(1, 10000)
        self.client.get(f"/api/orders/{order}", name="order status")


def _product() -> int:
    # A few products are much more popular than the rest, like in a real shop.
    return random.randint(1, 50) if random.random() < 0.3 else random.randint(1, PRODUCTS)

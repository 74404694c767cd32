-- Incident Lab shop schema. Applied once, as role lab, by entrypoint.sh on first start.
-- Orders carry a uuid `ref` from the moment checkout starts: inventory
-- reservations and payments are keyed by it (before the order row exists),
-- which also makes /reserve and /charge idempotent under retries.

CREATE TABLE categories (
    id    integer PRIMARY KEY,
    slug  text NOT NULL UNIQUE,
    name  text NOT NULL
);

CREATE TABLE products (
    id           integer PRIMARY KEY,
    category_id  integer NOT NULL REFERENCES categories (id),
    sku          text NOT NULL UNIQUE,
    name         text NOT NULL,
    description  text NOT NULL,
    price_cents  integer NOT NULL CHECK (price_cents > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    search       tsvector GENERATED ALWAYS AS (
                     to_tsvector('english', name || ' ' || description)) STORED
);
CREATE INDEX products_category_idx ON products (category_id, id);
CREATE INDEX products_search_idx ON products USING gin (search);

CREATE TABLE stock (
    product_id  integer PRIMARY KEY REFERENCES products (id),
    quantity    integer NOT NULL CHECK (quantity >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          integer PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id            bigserial PRIMARY KEY,
    ref           uuid NOT NULL UNIQUE,
    user_id       integer NOT NULL REFERENCES users (id),
    status        text NOT NULL CHECK (status IN ('paid', 'fulfilled', 'cancelled')),
    total_cents   integer NOT NULL CHECK (total_cents >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    fulfilled_at  timestamptz
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC);
-- The worker's and a dashboard's "paid but not yet fulfilled" backlog.
CREATE INDEX orders_unfulfilled_idx ON orders (created_at) WHERE status = 'paid';

CREATE TABLE order_items (
    order_id          bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id        integer NOT NULL REFERENCES products (id),
    quantity          integer NOT NULL CHECK (quantity > 0),
    unit_price_cents  integer NOT NULL CHECK (unit_price_cents > 0),
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX order_items_product_idx ON order_items (product_id);

CREATE TABLE reservations (
    order_ref   uuid NOT NULL,
    product_id  integer NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    status      text NOT NULL CHECK (status IN ('reserved', 'released')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_ref, product_id)
);

CREATE TABLE payments (
    id                  bigserial PRIMARY KEY,
    order_ref           uuid NOT NULL UNIQUE,
    amount_cents        integer NOT NULL CHECK (amount_cents > 0),
    status              text NOT NULL CHECK (status IN ('succeeded', 'declined', 'failed')),
    provider_charge_id  text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
    id          bigserial PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    channel     text NOT NULL CHECK (channel IN ('email')),
    kind        text NOT NULL,
    recipient   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- One notification per order and kind: a redelivered stream event is a no-op.
    UNIQUE (order_id, kind)
);

-- Deterministic demo data: every value derives from generate_series indexes
-- (md5 of the index where values should look mixed; no random()), so every
-- fresh lab has the same catalogue, users and history.
-- 20 categories, 5000 products, stock for each, 2000 users, 10000 orders with
-- 1-3 items each, one succeeded payment per order.

BEGIN;

INSERT INTO categories (id, slug, name)
SELECT i, lower(replace(n, ' ', '-')), n
FROM unnest(ARRAY[
    'Coffee', 'Tea', 'Kitchen', 'Outdoor', 'Garden', 'Books', 'Music', 'Toys',
    'Sports', 'Fitness', 'Office', 'Lighting', 'Bedding', 'Bath', 'Pets',
    'Travel', 'Audio', 'Cameras', 'Tools', 'Crafts'
]) WITH ORDINALITY AS c(n, i);

-- Name = adjective + material + the category's noun; description repeats the
-- words search should match and adds a use case.
INSERT INTO products (id, category_id, sku, name, description, price_cents, created_at)
SELECT
    p,
    cat,
    format('SKU-%s-%s', lpad(cat::text, 2, '0'), lpad(p::text, 5, '0')),
    initcap(adj) || ' ' || initcap(mat) || ' ' || noun,
    format('A %s %s %s made of %s. Ideal for %s; ships in %s days.',
           adj, lower(noun), 'from our ' || catname || ' range', mat, use_case, 2 + p % 5),
    199 + (p * 7919) % 24800,
    timestamptz '2024-01-01 00:00:00+00' + make_interval(hours => p)
FROM (
    SELECT
        p,
        1 + (p - 1) % 20 AS cat,
        (ARRAY['classic', 'compact', 'deluxe', 'eco', 'ergonomic', 'handmade', 'heavy-duty',
               'lightweight', 'modern', 'portable', 'premium', 'rustic', 'smart', 'vintage',
               'waterproof', 'wireless', 'foldable', 'minimalist', 'organic', 'travel-size'])
            [1 + get_byte(decode(md5('adj' || p), 'hex'), 0) % 20] AS adj,
        (ARRAY['bamboo', 'steel', 'oak', 'cotton', 'wool', 'leather', 'ceramic', 'glass',
               'linen', 'aluminium', 'copper', 'walnut', 'recycled plastic', 'cork', 'silicone'])
            [1 + get_byte(decode(md5('mat' || p), 'hex'), 0) % 15] AS mat,
        (ARRAY['mornings', 'weekends', 'gifting', 'small apartments', 'families', 'beginners',
               'professionals', 'camping trips', 'daily use', 'long journeys'])
            [1 + get_byte(decode(md5('use' || p), 'hex'), 0) % 10] AS use_case
    FROM generate_series(1, 5000) AS p
) AS g
JOIN LATERAL (
    SELECT (ARRAY['Grinder', 'Teapot', 'Skillet', 'Lantern', 'Planter', 'Notebook', 'Speaker',
                  'Puzzle', 'Racket', 'Yoga Mat', 'Desk Lamp', 'Pendant Light', 'Duvet',
                  'Towel Set', 'Dog Bed', 'Backpack', 'Headphones', 'Tripod', 'Drill', 'Sketchbook'])
               [g.cat] AS noun,
           (SELECT name FROM categories WHERE id = g.cat) AS catname
) AS n ON true;

-- Plenty of stock, except every 250th product, kept scarce so a checkout can
-- meet a real 409 (insufficient stock).
INSERT INTO stock (product_id, quantity)
SELECT id, CASE WHEN id % 250 = 0 THEN 3 ELSE 5000 + (id * 7919) % 5000 END
FROM products;

INSERT INTO users (id, email, name, created_at)
SELECT
    u,
    format('user%s@example.test', u),
    (ARRAY['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Radia', 'Edsger'])
        [1 + u % 10] || ' ' ||
    (ARRAY['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov',
           'Ritchie', 'Perlman', 'Dijkstra', 'Knuth'])[1 + (u * 3) % 11],
    timestamptz '2023-06-01 00:00:00+00' + make_interval(hours => u * 3)
FROM generate_series(1, 2000) AS u;

-- History: the most recent 50 orders are still 'paid' (a small backlog the
-- worker never saw), the rest fulfilled; 1 in 100 cancelled.
INSERT INTO orders (id, ref, user_id, status, total_cents, created_at, updated_at, fulfilled_at)
SELECT
    o,
    md5('lab-order-' || o)::uuid,
    1 + (o * 37) % 2000,
    CASE WHEN o > 9950 THEN 'paid' WHEN o % 100 = 0 THEN 'cancelled' ELSE 'fulfilled' END,
    0,
    ts,
    ts,
    CASE WHEN o <= 9950 AND o % 100 <> 0 THEN ts + interval '2 minutes' END
FROM generate_series(1, 10000) AS o,
     LATERAL (SELECT timestamptz '2024-06-01 00:00:00+00' + make_interval(mins => o * 20) AS ts) AS t;

-- 1 to 3 distinct products per order (the offsets keep the pair key unique).
INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
SELECT o.id, pr.id, 1 + (o.id + k) % 3, pr.price_cents
FROM orders o
CROSS JOIN LATERAL generate_series(0, (o.id % 3)::int) AS k
JOIN products pr ON pr.id = 1 + ((o.id * 97 + k * 1013) % 5000);

UPDATE orders o SET total_cents = t.total
FROM (SELECT order_id, sum(quantity * unit_price_cents) AS total FROM order_items GROUP BY order_id) AS t
WHERE t.order_id = o.id;

INSERT INTO payments (order_ref, amount_cents, status, provider_charge_id, created_at, updated_at)
SELECT ref, total_cents, 'succeeded', 'ch_seed_' || id, created_at, created_at
FROM orders;

INSERT INTO notifications (order_id, channel, kind, recipient, created_at)
SELECT o.id, 'email', 'order_fulfilled', u.email, o.fulfilled_at
FROM orders o JOIN users u ON u.id = o.user_id
WHERE o.status = 'fulfilled';

-- Explicit ids above: move the sequences past them for new rows.
SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders));

COMMIT;

ANALYZE categories, products, stock, users, orders, order_items, payments, notifications;

-- A small shop for scripts/demo: customers and orders with nested JSONB, generated with
-- generate_series. Deterministic: every value is a function of the row number (no random()),
-- so every run builds the same rows.
--
--   psql -v ON_ERROR_STOP=1 -v customers=100000 -v orders=1000000 -f scripts/demo_data/shop.sql
--
-- Sizes default to 100,000 customers and 1,000,000 orders. Re-running drops and rebuilds the
-- schema `shop`.
\if :{?customers}
\else
\set customers 100000
\endif
\if :{?orders}
\else
\set orders 1000000
\endif

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS shop CASCADE;
CREATE SCHEMA shop;
SET search_path = shop;

-- A 31-bit mix of (i, salt) in plain bigint arithmetic: no overflow, same value everywhere.
CREATE FUNCTION mix(i bigint, salt int) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ((((i * 2654435761 + salt * 40503) % 2147483647) * 48271) % 2147483647)
$$;

CREATE TABLE customers (
  id          bigint PRIMARY KEY,
  name        text NOT NULL,
  email       text NOT NULL,
  country     char(2) NOT NULL,
  vip         boolean NOT NULL,
  birth_date  date,
  credit      numeric(10, 2),
  tags        text[],
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

INSERT INTO customers
SELECT i,
       (ARRAY['Ada','Brian','Chen','Dana','Emil','Fatima','Goran','Hana','Ivo','Jun'])[1 + mix(i, 1) % 10]
         || ' ' ||
       (ARRAY['Meyer','Novak','Okafor','Petit','Quist','Rossi','Sato','Tanaka','Ueda','Vogel'])[1 + mix(i, 2) % 10],
       'customer' || i || '@example.com',
       (ARRAY['DE','FR','NL','US','GB','ES','IT','PL','SE','JP'])[1 + i % 10],
       mix(i, 3) % 20 = 0,
       CASE WHEN mix(i, 4) % 7 = 0 THEN NULL
            ELSE date '1950-01-01' + (mix(i, 5) % 20000)::int END,
       (mix(i, 6) % 100000) / 100.0,
       CASE mix(i, 20) % 4 WHEN 0 THEN ARRAY[]::text[] WHEN 1 THEN ARRAY['newsletter']
                           WHEN 2 THEN ARRAY['newsletter', 'app'] END,
       timestamptz '2022-01-01 00:00:00+00' + make_interval(secs => i * 600),
       timestamptz '2022-01-01 00:00:00+00' + make_interval(secs => i * 600 + mix(i, 7) % 86400)
FROM generate_series(1, :customers) AS i;

CREATE TABLE orders (
  id           bigint PRIMARY KEY,
  customer_id  bigint NOT NULL REFERENCES customers (id),
  status       text NOT NULL,
  currency     char(3) NOT NULL,
  total        numeric(12, 2) NOT NULL,
  items        jsonb NOT NULL,   -- [{"sku": "sku-00042", "qty": 2, "price": 19.99}, ...]
  shipping     jsonb,            -- {"method": "express", "address": {"city": ..., "zip": ...}}
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL  -- the incremental cursor
);

-- Items first (1..4 lines per order), so that total is their exact sum.
CREATE TEMP TABLE order_lines AS
SELECT o AS order_id,
       jsonb_agg(jsonb_build_object(
                   'sku', 'sku-' || lpad((mix(o * 4 + k, 8) % 5000)::text, 5, '0'),
                   'qty', 1 + mix(o * 4 + k, 9) % 3,
                   'price', ((199 + mix(o * 4 + k, 10) % 19800) / 100.0)::numeric(8, 2))
                 ORDER BY k) AS items,
       (sum((1 + mix(o * 4 + k, 9) % 3) * (199 + mix(o * 4 + k, 10) % 19800)) / 100.0)::numeric(12, 2) AS total
FROM generate_series(1, :orders) AS o,
     generate_series(0, (mix(o, 11) % 4)::int) AS k
GROUP BY o;

INSERT INTO orders
SELECT l.order_id,
       1 + mix(l.order_id, 12) % :customers,
       (ARRAY['placed','paid','shipped','delivered','delivered','delivered','cancelled'])[1 + mix(l.order_id, 13) % 7],
       (ARRAY['EUR','EUR','EUR','USD','GBP'])[1 + mix(l.order_id, 14) % 5],
       l.total,
       l.items,
       CASE WHEN mix(l.order_id, 15) % 10 = 0 THEN NULL  -- digital goods: nothing to ship
            ELSE jsonb_build_object(
                   'method', (ARRAY['standard','express','pickup'])[1 + mix(l.order_id, 16) % 3],
                   'address', jsonb_build_object(
                     'city', (ARRAY['Berlin','Paris','Amsterdam','Austin','London','Madrid','Rome','Warsaw','Stockholm','Osaka'])[1 + mix(l.order_id, 17) % 10],
                     'zip', lpad((mix(l.order_id, 18) % 100000)::text, 5, '0')))
       END,
       timestamptz '2024-01-01 00:00:00+00' + make_interval(secs => l.order_id * 30),
       timestamptz '2024-01-01 00:00:00+00' + make_interval(secs => l.order_id * 30 + mix(l.order_id, 19) % 172800)
FROM order_lines AS l;

CREATE INDEX orders_updated_at ON orders (updated_at);
ANALYZE customers;
ANALYZE orders;

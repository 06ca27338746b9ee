-- Everything a PostgreSQL 15 schema commonly holds, loaded into an empty database and dumped by
-- pg_dump in tests/pg_dump.rs: the dump is then a template strata takes as it is.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CONSTRAINT posint_positive CHECK (VALUE > 0);
CREATE FUNCTION add_one(a integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN a + 1;
CREATE FUNCTION pair_sum(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE BEGIN ATOMIC SELECT a + b; END;
CREATE FUNCTION slug(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN lower(t); END $$;
CREATE TABLE account (
  id bigserial PRIMARY KEY,
  code text NOT NULL CONSTRAINT account_code_u UNIQUE,
  name text NOT NULL,
  name_slug text GENERATED ALWAYS AS (slug(name)) STORED,
  next_n integer DEFAULT add_one(1),
  feeling mood DEFAULT 'ok',
  size posint,
  CONSTRAINT name_not_blank CHECK ((name <> '') = (code IS NOT NULL))
);
CREATE TABLE item (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint CONSTRAINT item_account_fk REFERENCES account (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  qty integer CONSTRAINT qty_pos CHECK (qty > 0),
  tags jsonb,
  price numeric(10,2) DEFAULT 0
);
CREATE TABLE singleton (id integer);
CREATE UNIQUE INDEX singleton_one ON singleton ((true));
CREATE INDEX item_tags ON item USING gin (tags jsonb_path_ops);
CREATE INDEX item_account ON item (account_id) INCLUDE (qty);
CREATE UNIQUE INDEX item_qty ON item (qty) NULLS NOT DISTINCT;
CREATE INDEX item_price_live ON item (price DESC NULLS LAST) WHERE qty > 0;
CREATE STATISTICS item_stats (dependencies) ON account_id, qty FROM item;
CREATE VIEW account_items AS SELECT a.id, a.name, count(i.id) AS n FROM account a LEFT JOIN item i ON i.account_id = a.id GROUP BY a.id, a.name;
CREATE MATERIALIZED VIEW item_totals AS SELECT account_id, sum(price) AS total FROM item GROUP BY account_id WITH NO DATA;
CREATE FUNCTION item_count(min_qty integer) RETURNS TABLE(account bigint, count_ bigint) LANGUAGE sql STABLE AS $$ SELECT account_id, count(*) FROM item WHERE qty >= min_qty GROUP BY account_id $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.price := coalesce(NEW.price, 0); RETURN NEW; END $$;
CREATE TRIGGER item_touch BEFORE INSERT OR UPDATE ON item FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TABLE event (id integer NOT NULL, at timestamptz NOT NULL, note text) PARTITION BY RANGE (at);
CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');
CREATE TABLE event_2025 PARTITION OF event FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00');
CREATE INDEX event_at ON event (at);
COMMENT ON TABLE account IS 'Who pays';
COMMENT ON COLUMN account.code IS 'External code';

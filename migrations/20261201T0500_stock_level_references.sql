-- stock_levels' references to products and locations, checked once per statement instead of once per row.
-- A foreign key checks each inserted row with a query of its own (two per stock level: about 550 ms of the
-- 730 ms it takes to insert 25,000 levels); these triggers check all the rows a statement wrote in one query
-- over its transition table. What they keep of the foreign keys they replace:
--   - a stock level naming a SKU or a location that does not exist is refused, SQLSTATE 23503, with the
--     constraint names, message and detail of the foreign keys (stock_levels_sku_fkey,
--     stock_levels_location_id_fkey);
--   - the referenced rows are locked FOR KEY SHARE, as a foreign key locks them, so a concurrent delete
--     waits for the writer's commit (and is then refused) or, committed first, makes the write refused;
--   - deleting a product or a location a stock level names, or changing its key, is refused with 23503
--     (a delete is checked once per statement, a key change row by row: no write of the hub changes one);
--   - TRUNCATE of products or locations is refused (23503) while a stock level remains: truncate
--     stock_levels in the same statement (`TRUNCATE stock_levels, products, …`). Unlike a foreign key,
--     `TRUNCATE products CASCADE` no longer reaches stock_levels by itself.
-- Like every trigger, they do not fire under session_replication_role = replica (a restore).
-- Migrations are append-only: never edit this file once it has landed; add a newer one.

ALTER TABLE stock_levels
  DROP CONSTRAINT stock_levels_sku_fkey,
  DROP CONSTRAINT stock_levels_location_id_fkey;

-- Locks the products and locations that stock levels name (in key order, FOR KEY SHARE), then refuses the
-- first SKU or location that does not exist.
CREATE FUNCTION stock_levels_check_references(skus text[], location_ids text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  PERFORM 1 FROM products p WHERE p.sku = ANY (skus) ORDER BY p.sku FOR KEY SHARE;
  SELECT k INTO missing FROM unnest(skus) k
    WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = k) ORDER BY k LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert or update on table "stock_levels" violates foreign key constraint "%"',
      'stock_levels_sku_fkey'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'stock_levels_sku_fkey', TABLE = 'stock_levels',
            DETAIL = format('Key (sku)=(%s) is not present in table "products".', missing);
  END IF;
  PERFORM 1 FROM locations l WHERE l.id = ANY (location_ids) ORDER BY l.id FOR KEY SHARE;
  SELECT k INTO missing FROM unnest(location_ids) k
    WHERE NOT EXISTS (SELECT 1 FROM locations l WHERE l.id = k) ORDER BY k LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert or update on table "stock_levels" violates foreign key constraint "%"',
      'stock_levels_location_id_fkey'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'stock_levels_location_id_fkey',
            TABLE = 'stock_levels',
            DETAIL = format('Key (location_id)=(%s) is not present in table "locations".', missing);
  END IF;
END $$;

CREATE FUNCTION stock_levels_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM stock_levels_check_references(ARRAY(SELECT DISTINCT sku FROM inserted_levels),
                                        ARRAY(SELECT DISTINCT location_id FROM inserted_levels));
  RETURN NULL;
END $$;

CREATE TRIGGER stock_levels_references_on_insert
  AFTER INSERT ON stock_levels REFERENCING NEW TABLE AS inserted_levels
  FOR EACH STATEMENT EXECUTE FUNCTION stock_levels_inserted();

-- A key that changes (no write of the hub changes one) is checked row by row: the WHEN clause keeps every
-- other update (reservations, counts, imports) free of any trigger call.
CREATE FUNCTION stock_levels_key_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM stock_levels_check_references(ARRAY[NEW.sku], ARRAY[NEW.location_id]);
  RETURN NULL;
END $$;

CREATE TRIGGER stock_levels_references_on_key_update
  AFTER UPDATE OF sku, location_id ON stock_levels
  FOR EACH ROW WHEN (OLD.sku IS DISTINCT FROM NEW.sku OR OLD.location_id IS DISTINCT FROM NEW.location_id)
  EXECUTE FUNCTION stock_levels_key_changed();

-- The referenced side: a product or a location that a stock level names cannot go (deleted or its key
-- changed). `keys`: the SKUs (products) or ids (locations) that went; one still named by a stock level, and
-- not back under the same key, is refused.
CREATE FUNCTION stock_levels_refuse_referenced(referenced text, keys text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  still text;
BEGIN
  IF referenced = 'products' THEN
    SELECT k INTO still FROM unnest(keys) k
      WHERE EXISTS (SELECT 1 FROM stock_levels s WHERE s.sku = k)
        AND NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = k)
      ORDER BY k LIMIT 1;
    IF still IS NOT NULL THEN
      RAISE EXCEPTION 'update or delete on table "products" violates foreign key constraint "%" on table "%"',
        'stock_levels_sku_fkey', 'stock_levels'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'stock_levels_sku_fkey', TABLE = 'stock_levels',
              DETAIL = format('Key (sku)=(%s) is still referenced from table "stock_levels".', still);
    END IF;
  ELSE
    SELECT k INTO still FROM unnest(keys) k
      WHERE EXISTS (SELECT 1 FROM stock_levels s WHERE s.location_id = k)
        AND NOT EXISTS (SELECT 1 FROM locations l WHERE l.id = k)
      ORDER BY k LIMIT 1;
    IF still IS NOT NULL THEN
      RAISE EXCEPTION 'update or delete on table "locations" violates foreign key constraint "%" on table "%"',
        'stock_levels_location_id_fkey', 'stock_levels'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'stock_levels_location_id_fkey',
              TABLE = 'stock_levels',
              DETAIL = format('Key (id)=(%s) is still referenced from table "stock_levels".', still);
    END IF;
  END IF;
END $$;

CREATE FUNCTION stock_levels_referenced_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'products' THEN
    PERFORM stock_levels_refuse_referenced('products', ARRAY(SELECT sku FROM deleted_rows));
  ELSE
    PERFORM stock_levels_refuse_referenced('locations', ARRAY(SELECT id FROM deleted_rows));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER stock_levels_referenced_on_delete
  AFTER DELETE ON products REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stock_levels_referenced_deleted();
CREATE TRIGGER stock_levels_referenced_on_delete
  AFTER DELETE ON locations REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stock_levels_referenced_deleted();

CREATE FUNCTION stock_levels_referenced_key_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'products' THEN
    PERFORM stock_levels_refuse_referenced('products', ARRAY[OLD.sku]);
  ELSE
    PERFORM stock_levels_refuse_referenced('locations', ARRAY[OLD.id]);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER stock_levels_referenced_on_key_update
  AFTER UPDATE OF sku ON products
  FOR EACH ROW WHEN (OLD.sku IS DISTINCT FROM NEW.sku)
  EXECUTE FUNCTION stock_levels_referenced_key_changed();
CREATE TRIGGER stock_levels_referenced_on_key_update
  AFTER UPDATE OF id ON locations
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION stock_levels_referenced_key_changed();

-- After the statement's tables are truncated: refused while a stock level remains (stock_levels was not
-- truncated along with them).
CREATE FUNCTION stock_levels_referenced_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM stock_levels) THEN
    RAISE EXCEPTION 'cannot truncate table "%" while stock levels reference it', TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME,
            HINT = 'Truncate table "stock_levels" in the same statement.';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER stock_levels_referenced_on_truncate
  AFTER TRUNCATE ON products FOR EACH STATEMENT EXECUTE FUNCTION stock_levels_referenced_truncated();
CREATE TRIGGER stock_levels_referenced_on_truncate
  AFTER TRUNCATE ON locations FOR EACH STATEMENT EXECUTE FUNCTION stock_levels_referenced_truncated();

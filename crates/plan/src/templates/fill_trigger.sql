-- rows the running code inserts or updates without {{ column | ident }} get its value
CREATE OR REPLACE FUNCTION {{ function | qname }}() RETURNS trigger LANGUAGE plpgsql AS $sluice$
BEGIN
  IF NEW.{{ column | ident }} IS NULL THEN
    NEW.{{ column | ident }} := {{ expr | sql }};
  END IF;
  RETURN NEW;
END
$sluice$;
DROP TRIGGER IF EXISTS {{ trigger | ident }} ON {{ table | qname }};
-- rows that already hold a value (the backfill's own writes) skip the function call
CREATE TRIGGER {{ trigger | ident }} BEFORE INSERT OR UPDATE ON {{ table | qname }}
  FOR EACH ROW WHEN (NEW.{{ column | ident }} IS NULL) EXECUTE FUNCTION {{ function | qname }}();

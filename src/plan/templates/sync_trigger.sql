-- keeps {{ old | ident }} (written by the old code) and {{ new | ident }} (written by the new code) equal on
-- every INSERT and UPDATE; it only assigns NEW, so it never fires itself again
CREATE OR REPLACE FUNCTION {{ function | qname }}() RETURNS trigger LANGUAGE plpgsql AS $sluice$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.{{ new | ident }} IS NULL THEN
      NEW.{{ new | ident }} := {{ forward | sql }};
    ELSE
      NEW.{{ old | ident }} := {{ backward | sql }};
    END IF;
  ELSIF NEW.{{ new | ident }} IS DISTINCT FROM OLD.{{ new | ident }} THEN
    NEW.{{ old | ident }} := {{ backward | sql }};
  ELSE
    NEW.{{ new | ident }} := {{ forward | sql }};
  END IF;
  RETURN NEW;
END
$sluice$;
DROP TRIGGER IF EXISTS {{ trigger | ident }} ON {{ table | qname }};
CREATE TRIGGER {{ trigger | ident }} BEFORE INSERT OR UPDATE ON {{ table | qname }}
  FOR EACH ROW EXECUTE FUNCTION {{ function | qname }}();

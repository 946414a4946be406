{% if two_way -%}
-- keeps {{ old | ident }} (written by the old code) and {{ new | ident }} (written by the new code) equal on
-- every INSERT and UPDATE; it only assigns NEW, so it never fires itself again
{%- else -%}
-- every INSERT and UPDATE sets {{ new | ident }} from {{ old | ident }}, the column all running code writes
-- until the swap; it only assigns NEW, so it never fires itself again
{%- endif %}
CREATE OR REPLACE FUNCTION {{ function | qname }}() RETURNS trigger LANGUAGE plpgsql AS $sluice$
BEGIN
{%- if two_way %}
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
{%- else %}
  NEW.{{ new | ident }} := {{ forward | sql }};
{%- endif %}
  RETURN NEW;
END
$sluice$;
DROP TRIGGER IF EXISTS {{ trigger | ident }} ON {{ table | qname }};
{%- if guard %}
-- rows whose two columns already agree (the backfill's own writes) skip the function call
{%- endif %}
CREATE TRIGGER {{ trigger | ident }} BEFORE INSERT OR UPDATE ON {{ table | qname }}
  FOR EACH ROW {% if guard %}WHEN (NEW.{{ new | ident }} IS DISTINCT FROM {{ forward | sql }}) {% endif %}EXECUTE FUNCTION {{ function | qname }}();

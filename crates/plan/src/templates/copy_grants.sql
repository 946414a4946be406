-- the table's privileges on the view too (an application role that is not the table's owner
-- reads and writes through it){% if renamed %}; a renamed column's privileges also on its second name{% endif %}.
-- The function is temporary: it goes with the session
CREATE OR REPLACE FUNCTION pg_temp.sluice_copy_grants(src regclass, dst regclass, renamed text[], alias text[]) RETURNS void LANGUAGE plpgsql AS $sluice$
DECLARE
  g record;
BEGIN
  FOR g IN
    SELECT a.privilege_type, a.is_grantable, a.grantee
    FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.oid = src AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('GRANT %s ON %s TO %s%s', g.privilege_type, dst,
      CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
      CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
  FOR g IN
    SELECT t.attname, a.privilege_type, a.is_grantable, a.grantee
    FROM pg_attribute t, aclexplode(t.attacl) a
    WHERE t.attrelid = src AND t.attnum > 0 AND NOT t.attisdropped
  LOOP
    EXECUTE format('GRANT %s (%s) ON %s TO %s%s', g.privilege_type,
      quote_ident(g.attname) || coalesce((SELECT ', ' || quote_ident(alias[i]) FROM generate_subscripts(renamed, 1) i WHERE renamed[i] = g.attname), ''),
      dst,
      CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
      CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
END
$sluice$;
SELECT pg_temp.sluice_copy_grants({{ table | lit }}, {{ view | lit }}, ARRAY[{% for r in renamed %}{{ r | lit }}{% if not loop.last %}, {% endif %}{% endfor %}]::text[], ARRAY[{% for a in alias %}{{ a | lit }}{% if not loop.last %}, {% endif %}{% endfor %}]::text[]);

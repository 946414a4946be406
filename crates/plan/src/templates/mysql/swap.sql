-- one short write lock on {{ table | qname }}: MySQL commits each DDL statement on its own, and
-- LOCK TABLES is what makes the trigger change and the renames one step for other sessions
-- (their writes wait for UNLOCK TABLES, under their lock_wait_timeout)
LOCK TABLES {{ table | qname }} WRITE;
{{ before | sql }}
-- sluice:ignore renaming-column -- the shadow column swap, planned: the running code uses the names it has after it
ALTER TABLE {{ table | qname }} {% for r in columns %}RENAME COLUMN {{ r.from | ident }} TO {{ r.to | ident }}, {% endfor %}{% for r in indexes %}RENAME INDEX {{ r.from | ident }} TO {{ r.to | ident }}, {% endfor %}{% if instant %}ALGORITHM=INSTANT{% else %}ALGORITHM=INPLACE, LOCK=NONE{% endif %};
{{ after | sql }}
UNLOCK TABLES;

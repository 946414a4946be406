-- with foreign_key_checks=0 InnoDB adds the key INPLACE (no table copy, writes continue) and
-- does NOT validate the existing rows; new writes are checked once the key exists. Rows
-- breaking it (to fix by hand) are:
--   SELECT {% for c in columns %}c.{{ c | ident }}{% if not loop.last %}, {% endif %}{% endfor %} FROM {{ table | qname }} c LEFT JOIN {{ parent | qname }} p ON {% for j in pairs %}p.{{ j.1 | ident }} = c.{{ j.0 | ident }}{% if not loop.last %} AND {% endif %}{% endfor %}
--    WHERE {% for c in columns %}c.{{ c | ident }} IS NOT NULL AND {% endfor %}p.{{ pairs.0.1 | ident }} IS NULL;
SET SESSION foreign_key_checks = 0;
ALTER TABLE {{ table | qname }} ADD CONSTRAINT {{ name | ident }} {{ definition | sql }}, ALGORITHM=INPLACE, LOCK=NONE;
SET SESSION foreign_key_checks = 1;

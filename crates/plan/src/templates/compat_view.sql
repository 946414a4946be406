-- the old name as a view: simple enough to be automatically updatable, so the old code
-- reads and writes through it; its columns are named (a `*` would be expanded when the view
-- is made, so the down's view would also show the columns added since){% if invoker %};
-- security_invoker: queries through it are checked against the table's privileges and
-- row-level security as the caller's own{% endif %}
CREATE VIEW {{ view | qname }}{% if invoker %} WITH (security_invoker = true){% endif %} AS SELECT {% for c in columns %}{{ c.column | ident }}{% if c.alias %} AS {{ c.alias | ident }}{% endif %}{% if not loop.last %}, {% endif %}{% endfor %} FROM {{ table | qname }};

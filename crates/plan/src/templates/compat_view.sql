-- the old name as a view: simple enough to be automatically updatable, so the old code
-- reads and writes through it; its columns are named (a `*` would be expanded when the view
-- is made, so the down's view would also show the columns added since)
CREATE VIEW {{ view | qname }} AS SELECT {% for c in columns %}{{ c | ident }}{% if not loop.last %}, {% endif %}{% endfor %} FROM {{ table | qname }};

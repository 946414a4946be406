-- {{ view | qname }} as a view of {{ table | qname }} until the contract: the new code reads and writes
-- through it (a view of one table's columns is updatable and insertable; MERGE runs each
-- query on the table, with its indexes), the old code goes on with the table. Its columns
-- are named: a `*` would be expanded now anyway
CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW {{ view | qname }} AS SELECT {% for c in columns %}{{ c | ident }}{% if not loop.last %}, {% endif %}{% endfor %} FROM {{ table | qname }};

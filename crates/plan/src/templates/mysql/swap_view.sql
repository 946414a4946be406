{% if up -%}
-- one atomic RENAME: the table takes the name its view held since the expand (the old code
-- is gone), then the view goes
-- sluice:ignore renaming-table -- the new name was a view of the table since the expand
RENAME TABLE {{ view | qname }} TO {{ parked | qname }}, {{ table | qname }} TO {{ view | qname }};
DROP VIEW {{ parked | qname }};
{%- else -%}
-- the table back under its old name, then the view under the new one (MySQL cannot swap a
-- table for a view of it in one statement: the new name is missing between the two)
-- sluice:ignore renaming-table -- undoing the contract: the old code's name back
RENAME TABLE {{ view | qname }} TO {{ table | qname }};
{{ create_view | sql }}
{%- endif %}

ALTER TABLE {{ table | qname }} RENAME COLUMN {{ from | ident }} TO {{ column | ident }};
{% if default %}ALTER TABLE {{ table | qname }} ALTER COLUMN {{ column | ident }} SET DEFAULT {{ default | sql }};
{% endif %}{% if was_not_null %}-- rows written since the contract have no value here: fill them before this runs
ALTER TABLE {{ table | qname }} ALTER COLUMN {{ column | ident }} SET NOT NULL;
{% endif %}

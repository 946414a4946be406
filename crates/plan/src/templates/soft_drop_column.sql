{% if had_default %}ALTER TABLE {{ table | qname }} ALTER COLUMN {{ column | ident }} DROP DEFAULT;
{% endif %}{% if was_not_null %}ALTER TABLE {{ table | qname }} ALTER COLUMN {{ column | ident }} DROP NOT NULL;
{% endif %}-- sluice:ignore renaming-column -- a soft drop: `migrate purge` drops it after the retention period
ALTER TABLE {{ table | qname }} RENAME COLUMN {{ column | ident }} TO {{ to | ident }};

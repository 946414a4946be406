ALTER TABLE {{ table | qname }} ALTER COLUMN {{ column | ident }} {% if default %}SET DEFAULT {{ default | sql }}{% else %}DROP DEFAULT{% endif %};

{% if why %}-- {{ why | sql }}
{% endif %}ALTER TABLE {{ table | qname }} MODIFY COLUMN {{ column | ident }} {{ type | sql }}{% if charset %} CHARACTER SET {{ charset | ident }}{% endif %}{% if not_null %} NOT NULL{% else %} NULL{% endif %}{% if default %} DEFAULT {{ default | sql }}{% endif %}, {% if instant %}ALGORITHM=INSTANT{% else %}ALGORITHM=INPLACE, LOCK=NONE{% endif %};

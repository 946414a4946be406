ALTER TABLE {{ table | qname }} ADD {% if name %}CONSTRAINT {{ name | ident }} {% endif %}{{ definition | sql }} NOT VALID;

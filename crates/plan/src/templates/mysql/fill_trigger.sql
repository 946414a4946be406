-- rows the running code inserts without {{ column | ident }} get its value (old rows: the backfill)
CREATE TRIGGER {{ trigger | qname }} BEFORE INSERT ON {{ table | qname }} FOR EACH ROW
  SET NEW.{{ column | ident }} = IFNULL(NEW.{{ column | ident }}, {{ expr | sql }});

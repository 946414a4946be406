{% if two_way -%}
-- keep {{ old | ident }} (written by the old code) and {{ new | ident }} (written by the new code) equal on
-- every INSERT and UPDATE: the column a statement wrote wins. One SET per trigger (no
-- BEGIN .. END, so no DELIMITER); assignments run left to right
{%- else -%}
-- every INSERT and UPDATE sets {{ new | ident }} from {{ old | ident }}, the column all running code writes
-- until the swap (MySQL converts the value as MODIFY would; an out-of-range value fails the write)
{%- endif %}
CREATE TRIGGER {{ insert_trigger | qname }} BEFORE INSERT ON {{ table | qname }} FOR EACH ROW
  SET {% if two_way %}NEW.{{ old | ident }} = IF(NEW.{{ new | ident }} IS NULL, NEW.{{ old | ident }}, NEW.{{ new | ident }}),
      {% endif %}NEW.{{ new | ident }} = NEW.{{ old | ident }};
CREATE TRIGGER {{ update_trigger | qname }} BEFORE UPDATE ON {{ table | qname }} FOR EACH ROW
  SET {% if two_way %}NEW.{{ old | ident }} = IF(NEW.{{ new | ident }} <=> OLD.{{ new | ident }}, NEW.{{ old | ident }}, NEW.{{ new | ident }}),
      {% endif %}NEW.{{ new | ident }} = NEW.{{ old | ident }};

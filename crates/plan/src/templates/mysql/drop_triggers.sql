{% for t in triggers %}DROP TRIGGER IF EXISTS {{ t | qname }};
{% endfor %}

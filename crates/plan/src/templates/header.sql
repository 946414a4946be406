-- {{ title | sql }}
{% for line in why %}-- {{ line | sql }}
{% endfor %}{% for d in directives %}-- sluice:{{ d | sql }}
{% endfor %}

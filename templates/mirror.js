{%- for e in entries %}
{
  "module": "MMM-GrafanaEmbed",
  "position": "bottom_center",
  "header": "{{ e.header }}",
  "config": {
{%- match form %}
{%- when Form::IdName %}
    "id": "{{ e.uid }}",
    "name": "{{ e.slug }}",
{%- when Form::User %}
    "user": {{ e.id }},
{%- when Form::Legacy %}
    "dash_id": "{{ e.uid }}",
    "dash_name": "{{ e.slug }}",
    "dash_username": "{{ e.header }}",
{%- endmatch %}
    "host": "{{ endpoint.host }}",
    "port": {{ endpoint.port }},
{%- if form == Form::Legacy %}
    "dash_orgId": {{ org_id }},
    "panels": [{% for p in panels %}{{ p }}{% if !loop.last %}, {% endif %}{% endfor %}],
    "dash_refresh": "5m",
    "dash_interval": "7d",
    "width": "450px",
    "height": "200px"
{%- else %}
    "orgId": {{ org_id }},
    "panels": [{% for p in panels %}{{ p }}{% if !loop.last %}, {% endif %}{% endfor %}],
    "refresh": "5m",
    "time_interval": "7d",
    "width": "25vw",
    "height": "20vh",
    "orientation": "row"
{%- endif %}
  }
},
{%- endfor %}

{#-
  Models land in the schema they configure, verbatim: `silver` and `gold`, not dbt's default
  `<target schema>_<custom schema>`. Nodes without a schema of their own use the target's.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}
    {{ target.schema | trim }}
  {%- else -%}
    {{ custom_schema_name | trim }}
  {%- endif -%}
{%- endmacro %}

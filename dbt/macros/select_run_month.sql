{#-
  The body of an import CTE over a table partitioned by source_month: all of its columns, for the run's
  month only (which prunes every other partition).
-#}
{% macro select_run_month(relation) -%}
  select * from {{ relation }}
    where {{ is_run_month() }}
{%- endmacro %}

{#-
  Pre-hook of every incremental model: removes the run's month before the new rows go in.

  The delete+insert strategy keyed on source_month already replaces a month that the new run produces
  rows for; this also empties a month that now produces none (e.g. a re-issued file whose rows are all
  rejected), so re-running a month always leaves exactly what that run computed. On a table partitioned
  by source_month the delete drops whole files (a metadata-only delete in Iceberg).
-#}
{% macro delete_run_month() -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where {{ is_run_month() }}
  {%- endif -%}
{%- endmacro %}

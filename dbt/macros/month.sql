{#-
  The month a run processes: the required variable `month`, 'YYYY-MM'.

  Validation happens when SQL is executed (`execute` is true), so commands that only parse the project
  or load seeds (`dbt parse`, `dbt seed`) work without it, while any model or test that needs the month
  fails with a clear message instead of silently processing nothing.
-#}
{% macro month_var() -%}
  {%- set raw = var('month', none) -%}
  {%- if raw is none or (raw | string | trim) == '' -%}
    {%- if not execute -%}
      {{ return('1970-01') }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "The variable 'month' is required: pass the month to process as 'YYYY-MM', "
        ~ "e.g. --vars '{month: 2025-03}'."
    ) }}
  {%- endif -%}
  {%- set month = raw | string | trim -%}
  {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])$', month) -%}
    {{ exceptions.raise_compiler_error(
        "The variable 'month' must look like 'YYYY-MM' (e.g. 2025-03), got '" ~ month ~ "'."
    ) }}
  {%- endif -%}
  {{ return(month) }}
{%- endmacro %}


{#- Timestamp literal of the first instant of the month (naive local time, like the TLC timestamps). -#}
{% macro month_start_literal() -%}
  timestamp '{{ month_var() }}-01 00:00:00.000000'
{%- endmacro %}


{#- Timestamp literal of the first instant of the following month: the exclusive upper bound. -#}
{% macro next_month_start_literal() -%}
  {%- set parts = month_var().split('-') -%}
  {%- set year = parts[0] | int -%}
  {%- set month = parts[1] | int -%}
  {%- if month == 12 -%}
    {%- set year = year + 1 -%}
    {%- set month = 1 -%}
  {%- else -%}
    {%- set month = month + 1 -%}
  {%- endif -%}
  timestamp '{{ '%04d-%02d' | format(year, month) }}-01 00:00:00.000000'
{%- endmacro %}


{#- SQL predicate selecting the run's month in a table partitioned by source_month. -#}
{% macro is_run_month(column='source_month') -%}
  {{ column }} = '{{ month_var() }}'
{%- endmacro %}


{#-
  on-run-start hook: fails a run, build, test or compile at once, with a clear message, when `month` is
  missing or malformed (seed, parse, docs and debug do not need it). Renders no SQL.
-#}
{% macro validate_month_var() -%}
  {%- if execute and flags.WHICH in ['build', 'run', 'test', 'compile', 'show', 'retry'] -%}
    {%- do month_var() -%}
  {%- endif -%}
{%- endmacro %}

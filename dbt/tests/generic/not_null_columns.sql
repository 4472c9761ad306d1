{#-
  Fails with one row per listed column that holds nulls: the column, its null rows and the rows checked. Every column is
  checked in one scan: a not_null test per column costs a Trino query and a dbt node each (about 0.25 s apiece,
  the largest part of a month's fixed cost; README, Benchmarks).
-#}
{% test not_null_columns(model, columns) %}

with

null_rows_per_column as (

    select
        {%- for column in columns %}
        count_if({{ column }} is null) as null_rows_{{ loop.index }},
        {%- endfor %}
        count(*) as checked_rows
    from {{ model }}

)

select
    checked.column_name,
    checked.null_rows,
    null_rows_per_column.checked_rows
from null_rows_per_column
cross join unnest(
    array[{% for column in columns %}'{{ column }}'{{ ', ' if not loop.last }}{% endfor %}],
    array[{% for column in columns %}null_rows_{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}]
) as checked (column_name, null_rows)
where checked.null_rows > 0

{% endtest %}

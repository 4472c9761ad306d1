{#-
  The model's rows add up to the run's month of gold.monthly_summary: each of `columns` sums to the monthly
  column of the same name exactly (nulls equal, so a month present on one side only fails), and each of
  `trip_weighted_means`, a mean per row weighted by the row's trips, equals the monthly mean within 1e-9
  relative. The model is the run's month already: the Gold tests' `where` config filters it.
-#}
{% test sums_to_monthly_summary(model, columns, trip_weighted_means=[]) %}

with

parts as (

    select
        {%- for column in columns %}
        sum({{ column }}) as {{ column }},
        {%- endfor %}
        {%- for column in trip_weighted_means %}
        sum({{ column }} * trips) / nullif(sum(trips), 0) as {{ column }},
        {%- endfor %}
        count(*) as part_rows
    from {{ model }}

),

monthly as (

    {{ select_run_month(ref('monthly_summary')) }}

)

select
    parts.*,
    {%- for column in columns + trip_weighted_means %}
    monthly.{{ column }} as monthly_{{ column }},
    {%- endfor %}
    monthly.source_month as monthly_source_month
from parts
left join monthly on true
where
    false
    {%- for column in columns %}
    or monthly.{{ column }} is distinct from parts.{{ column }}
    {%- endfor %}
    {%- for column in trip_weighted_means %}
    or abs(parts.{{ column }} - monthly.{{ column }}) > 1e-9 * greatest(1e0, abs(monthly.{{ column }}))
    {%- endfor %}

{% endtest %}

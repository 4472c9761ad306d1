{#- Fails on every month (source_month) whose values of the column do not sum to 1 within 1e-9. -#}
{% test sums_to_one_per_month(model, column_name) %}

select
    source_month,
    sum({{ column_name }}) as column_sum
from {{ model }}
group by source_month
having abs(sum({{ column_name }}) - 1) > 1e-9

{% endtest %}

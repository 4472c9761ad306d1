{#-
  A quantity held as a double rounded half up (towards +infinity) to hundredths and stored as
  decimal(12, 2), so sums are exact: like JavaScript's Math.round(x * 100) / 100. TLC money (dollars) and
  distances (miles) are published in hundredths already, so this only removes binary floating-point noise.
-#}
{% macro to_hundredths(column) -%}
  cast(cast(floor({{ column }} * 100 + 0.5) as decimal(14, 0)) * decimal '0.01' as decimal(12, 2))
{%- endmacro %}


{#- A money amount in dollars, exact to the cent (see to_hundredths). -#}
{% macro to_cents(column) -%}
  {{ to_hundredths(column) }}
{%- endmacro %}


{#-
  The mean of a quantity published to a fixed unit (miles to the hundredth: units_per_one 100; minutes to
  the millisecond: 60000), from an exact integer sum of those units. Trino adds doubles in whatever order the
  rows arrive, so a mean of doubles could differ in its last digit between two runs over the same rows; this
  one is the same every time. Nulls are left out, as avg() does.
-#}
{% macro exact_mean(column, units_per_one) -%}
  cast(sum(cast(floor({{ column }} * {{ units_per_one }} + 0.5) as bigint)) as double)
  / {{ units_per_one }} / count({{ column }})
{%- endmacro %}

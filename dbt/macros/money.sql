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

{#-
  A money amount held as a double (dollars) rounded to whole cents and stored as decimal(12, 2), so sums
  are exact to the cent. Rounds half up (towards +infinity), like JavaScript's Math.round(x * 100): TLC
  amounts are whole cents already, so this only removes binary floating-point noise.
-#}
{% macro to_cents(column) -%}
  cast(cast(floor({{ column }} * 100 + 0.5) as decimal(14, 0)) * decimal '0.01' as decimal(12, 2))
{%- endmacro %}

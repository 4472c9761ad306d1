{#-
  A stable identifier for a row: the hex MD5 of its columns rendered as text, null-safe (a null and an
  empty string differ). Used as the key of deduplicated Silver rows, whose source columns are unique.
-#}
{% macro row_fingerprint(columns) -%}
  lower(to_hex(md5(to_utf8(concat_ws('|'
    {%- for column in columns %},
      coalesce(cast({{ column }} as varchar), '\N')
    {%- endfor %}
  )))))
{%- endmacro %}


{#- The source columns of a Bronze trip row, in Bronze order (lineage columns excluded): see dbt_project.yml. -#}
{% macro bronze_source_columns() -%}
  {{ return(var('bronze_source_columns')) }}
{%- endmacro %}

{#-
  A stable identifier for a row: the hex MD5 of its columns encoded as bytes by type, each a null marker
  (0 null, 1 value) then the value: 8 big-endian bytes for bigint, the IEEE 754 bits for double, the
  seconds since the epoch as a double for timestamp(6) (read as UTC, so no daylight-saving gap can map two
  values to one; exact to the microsecond until 2106), the byte length then UTF-8 for varchar. Distinct rows
  never encode alike, and no value is formatted as text, which cost most of the hashing (README,
  Benchmarks). `columns` lists (column, Trino type) pairs. Used as the key of deduplicated Silver rows.
-#}
{% macro row_fingerprint(columns) -%}
  lower(to_hex(md5(concat(
    {%- for column, type in columns %}
      {{ fingerprint_bytes(column, type) }}{{ ',' if not loop.last }}
    {%- endfor %}
  ))))
{%- endmacro %}


{% macro fingerprint_bytes(column, type) -%}
  if({{ column }} is null, x'00', x'01'),
  {%- if type == 'bigint' %} coalesce(to_big_endian_64({{ column }}), x'')
  {%- elif type == 'double' %} coalesce(to_ieee754_64({{ column }}), x'')
  {%- elif type == 'timestamp(6)' %} coalesce(to_ieee754_64(to_unixtime(with_timezone({{ column }}, 'UTC'))), x'')
  {%- elif type == 'varchar' %}
      to_big_endian_32(coalesce(cast(length(to_utf8({{ column }})) as integer), 0)),
      coalesce(to_utf8({{ column }}), x'')
  {%- else %}{{ exceptions.raise_compiler_error('row_fingerprint has no byte encoding for ' ~ column ~ ' of type ' ~ type) }}
  {%- endif %}
{%- endmacro %}


{#- The source columns of a Bronze trip row, in Bronze order (lineage columns excluded): see dbt_project.yml. -#}
{% macro bronze_source_columns() -%}
  {{ return(var('bronze_source_columns').keys() | list) }}
{%- endmacro %}


{#- The source columns of a Bronze trip row with their Trino types, in Bronze order. -#}
{% macro bronze_source_column_types() -%}
  {{ return(var('bronze_source_columns')) }}
{%- endmacro %}

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


{#- The source columns of a Bronze trip row, in Bronze order (lineage columns excluded). -#}
{% macro bronze_source_columns() -%}
  {{ return([
    'vendor_id', 'tpep_pickup_datetime', 'tpep_dropoff_datetime', 'passenger_count', 'trip_distance',
    'ratecode_id', 'store_and_fwd_flag', 'pu_location_id', 'do_location_id', 'payment_type',
    'fare_amount', 'extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'improvement_surcharge',
    'total_amount', 'congestion_surcharge', 'airport_fee', 'cbd_congestion_fee'
  ]) }}
{%- endmacro %}

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='source_month',
        on_schema_change='fail',
        pre_hook="{{ delete_run_month() }}",
        properties={'partitioning': "ARRAY['source_month']"}
    )
}}

-- Bronze rows of the month that fail a validation rule, verbatim (Bronze columns and types, duplicates
-- kept), with the first rule they fail.
with

rejected as (

    select * from {{ ref('int_yellow_trips__classified') }}
    where reject_reason is not null

),

final as (

    select
        reject_reason,
        {{ bronze_source_columns() | join(',\n        ') }},
        source_month,
        source_file,
        source_sha256,
        ingested_at,
        run_id

    from rejected

)

select * from final

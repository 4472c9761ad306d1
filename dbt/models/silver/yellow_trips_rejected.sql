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

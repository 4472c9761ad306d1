-- Every Bronze row of the month is accounted for exactly once:
--   Bronze rows = Silver rows + duplicates removed + rejected rows
-- where Silver rows + duplicates removed = sum(source_row_count). Returns a row when that does not hold.
with

bronze as (

    select count(*) as bronze_rows
    from {{ source('bronze', 'yellow_trips') }}
    where {{ is_run_month() }}

),

silver as (

    select
        count(*) as silver_rows,
        coalesce(sum(source_row_count), 0) as silver_source_rows
    from {{ ref('yellow_trips') }}
    where {{ is_run_month() }}

),

rejected as (

    select count(*) as rejected_rows
    from {{ ref('yellow_trips_rejected') }}
    where {{ is_run_month() }}

)

select
    bronze.bronze_rows,
    silver.silver_rows,
    silver.silver_source_rows - silver.silver_rows as duplicates_removed,
    rejected.rejected_rows
from bronze
cross join silver
cross join rejected
where bronze.bronze_rows <> silver.silver_source_rows + rejected.rejected_rows

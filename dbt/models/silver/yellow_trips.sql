-- Valid trips of the month: Bronze rows that pass every rule, exact duplicates collapsed to one row,
-- money rounded to cents, enriched with duration, pickup date and zone names.
with

valid_trips as (

    select * from {{ ref('int_yellow_trips__classified') }}
    where reject_reason is null

),

zones as (

    select * from {{ ref('stg_reference__taxi_zones') }}

),

deduplicated as (

    -- Rows whose source columns are all equal (nulls equal too) are one trip published more than once:
    -- one hash aggregation over the source columns collapses them, with no sort of the month. The trip keeps
    -- the lineage of its earliest-ingested copy (then by file, then by run; nulls last).
    select
        {{ bronze_source_columns() | join(',\n        ') }},
        source_month,
        count(*) as source_row_count,
        min_by(
            row(source_file, source_sha256, ingested_at, run_id),
            row(
                ingested_at is null, coalesce(ingested_at, timestamp '1970-01-01 00:00:00 UTC'),
                source_file is null, coalesce(source_file, ''),
                run_id is null, coalesce(run_id, '')
            )
        ) as lineage

    from valid_trips
    group by {{ bronze_source_columns() | join(', ') }}, source_month

),

enriched as (

    select
        ----------  key
        {{ row_fingerprint(['source_month'] + bronze_source_columns()) }} as trip_id,

        ----------  ids and codes
        trips.vendor_id,
        cast(trips.ratecode_id as bigint) as ratecode_id,
        trips.pu_location_id,
        trips.do_location_id,
        trips.payment_type,
        trips.store_and_fwd_flag,

        ----------  timestamps
        trips.tpep_pickup_datetime,
        trips.tpep_dropoff_datetime,
        cast(trips.tpep_pickup_datetime as date) as pickup_date,

        ----------  measures
        cast(trips.passenger_count as bigint) as passenger_count,
        trips.trip_distance,
        cast(date_diff('millisecond', trips.tpep_pickup_datetime, trips.tpep_dropoff_datetime) as double)
        / 60000 as trip_minutes,

        ----------  money, exact to the cent
        {{ to_cents('trips.fare_amount') }} as fare_amount,
        {{ to_cents('trips.extra') }} as extra,
        {{ to_cents('trips.mta_tax') }} as mta_tax,
        {{ to_cents('trips.tip_amount') }} as tip_amount,
        {{ to_cents('trips.tolls_amount') }} as tolls_amount,
        {{ to_cents('trips.improvement_surcharge') }} as improvement_surcharge,
        {{ to_cents('trips.total_amount') }} as total_amount,
        {{ to_cents('trips.congestion_surcharge') }} as congestion_surcharge,
        {{ to_cents('trips.airport_fee') }} as airport_fee,
        {{ to_cents('trips.cbd_congestion_fee') }} as cbd_congestion_fee,

        ----------  zones
        pickup_zones.borough as pickup_borough,
        pickup_zones.zone_name as pickup_zone,
        dropoff_zones.borough as dropoff_borough,
        dropoff_zones.zone_name as dropoff_zone,

        ----------  lineage
        trips.source_row_count,
        trips.source_month,
        trips.lineage[1] as source_file,
        trips.lineage[2] as source_sha256,
        trips.lineage[3] as ingested_at,
        trips.lineage[4] as run_id

    from deduplicated as trips
    left join zones as pickup_zones
        on trips.pu_location_id = pickup_zones.location_id
    left join zones as dropoff_zones
        on trips.do_location_id = dropoff_zones.location_id

)

select * from enriched

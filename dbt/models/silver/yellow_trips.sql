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

-- Exact duplicates share, among others, their pickup and dropoff times and zones, which the rules make
-- non-null in a valid trip (were one null, its copies would share a trip_id and fail the unique test). Few
-- rows of a month share those four with another row; only they can be duplicates, and only they go through
-- the aggregation over all source columns. Every other row is a trip of its own as it is. This avoids
-- hashing the whole month on all 20 columns (README, Benchmarks).
shared_pickups as (

    select
        tpep_pickup_datetime,
        tpep_dropoff_datetime,
        pu_location_id,
        do_location_id

    from valid_trips
    group by tpep_pickup_datetime, tpep_dropoff_datetime, pu_location_id, do_location_id
    having count(*) > 1

),

marked_trips as (

    select
        valid_trips.*,
        shared_pickups.tpep_pickup_datetime is not null as shares_pickup

    from valid_trips
    left join shared_pickups
        on
            valid_trips.tpep_pickup_datetime = shared_pickups.tpep_pickup_datetime
            and valid_trips.tpep_dropoff_datetime = shared_pickups.tpep_dropoff_datetime
            and valid_trips.pu_location_id = shared_pickups.pu_location_id
            and valid_trips.do_location_id = shared_pickups.do_location_id

),

single_trips as (

    select
        {{ bronze_source_columns() | join(',\n        ') }},
        source_month,
        1 as source_row_count,
        source_file,
        source_sha256,
        ingested_at,
        run_id

    from marked_trips
    where not shares_pickup

),

collapsed_trips as (

    -- Rows whose source columns are all equal (nulls equal too) are one trip published more than once. The
    -- trip keeps the lineage of its earliest-ingested copy (then by file, then by run; nulls last).
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

    from marked_trips
    where shares_pickup
    group by {{ bronze_source_columns() | join(', ') }}, source_month

),

deduplicated as (

    select * from single_trips

    union all

    select
        {{ bronze_source_columns() | join(',\n        ') }},
        source_month,
        source_row_count,
        lineage[1] as source_file,
        lineage[2] as source_sha256,
        lineage[3] as ingested_at,
        lineage[4] as run_id

    from collapsed_trips

),

enriched as (

    select
        ----------  key
        {{ row_fingerprint([('source_month', 'varchar')] + bronze_source_column_types().items() | list) }} as trip_id,

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
        trips.source_file,
        trips.source_sha256,
        trips.ingested_at,
        trips.run_id

    from deduplicated as trips
    left join zones as pickup_zones
        on trips.pu_location_id = pickup_zones.location_id
    left join zones as dropoff_zones
        on trips.do_location_id = dropoff_zones.location_id

)

select * from enriched

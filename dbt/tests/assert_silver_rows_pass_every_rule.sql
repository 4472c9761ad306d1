-- Silver rows of the month that break a validation rule (there must be none).
select
    trip_id,
    tpep_pickup_datetime,
    tpep_dropoff_datetime,
    trip_distance,
    fare_amount,
    total_amount,
    pu_location_id,
    do_location_id
from {{ ref('yellow_trips') }}
where
    {{ is_run_month() }}
    and not coalesce(
        tpep_pickup_datetime >= {{ month_start_literal() }}
        and tpep_pickup_datetime < {{ next_month_start_literal() }}
        and tpep_dropoff_datetime > tpep_pickup_datetime
        and tpep_dropoff_datetime - tpep_pickup_datetime <= interval '24' hour
        and trip_distance >= 0 and trip_distance < 500
        and fare_amount >= 0
        and total_amount >= 0
        and pu_location_id between 1 and 265
        and do_location_id between 1 and 265
        and pickup_date = cast(tpep_pickup_datetime as date),
        false
    )

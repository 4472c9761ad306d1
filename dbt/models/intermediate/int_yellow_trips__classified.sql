-- Every Bronze row of the month with the first validation rule it fails (null when it passes them all).
-- Rules are checked in this order; a null in a checked column fails that rule.
with

trips as (

    select * from {{ ref('stg_bronze__yellow_trips') }}

),

classified as (

    select
        *,
        case
            when not coalesce(
                tpep_pickup_datetime >= {{ month_start_literal() }}
                and tpep_pickup_datetime < {{ next_month_start_literal() }},
                false
            ) then 'pickup_outside_month'
            when not coalesce(tpep_dropoff_datetime > tpep_pickup_datetime, false)
                then 'dropoff_not_after_pickup'
            when not coalesce(tpep_dropoff_datetime - tpep_pickup_datetime <= interval '24' hour, false)
                then 'trip_over_24h'
            when not coalesce(trip_distance >= 0 and trip_distance < 500, false)
                then 'trip_distance_out_of_range'
            when not coalesce(fare_amount >= 0, false) then 'negative_fare'
            when not coalesce(total_amount >= 0, false) then 'negative_total'
            when not coalesce(pu_location_id between 1 and 265, false) then 'pu_location_out_of_range'
            when not coalesce(do_location_id between 1 and 265, false) then 'do_location_out_of_range'
        end as reject_reason

    from trips

)

select * from classified

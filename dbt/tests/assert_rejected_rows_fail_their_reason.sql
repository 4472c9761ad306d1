-- Rejected rows of the month whose reject_reason names a rule they actually pass (there must be none).
with

rejected as (

    {{ select_run_month(ref('yellow_trips_rejected')) }}

),

checked as (

    select
        reject_reason,
        tpep_pickup_datetime,
        tpep_dropoff_datetime,
        case reject_reason
            when 'pickup_outside_month'
                then
                    coalesce(
                        tpep_pickup_datetime >= {{ month_start_literal() }}
                        and tpep_pickup_datetime < {{ next_month_start_literal() }}, false
                    )
            when 'dropoff_not_after_pickup' then coalesce(tpep_dropoff_datetime > tpep_pickup_datetime, false)
            when 'trip_over_24h'
                then
                    coalesce(
                        tpep_dropoff_datetime - tpep_pickup_datetime <= interval '24' hour, false
                    )
            when 'trip_distance_out_of_range' then coalesce(trip_distance >= 0 and trip_distance < 500, false)
            when 'negative_fare' then coalesce(fare_amount >= 0, false)
            when 'negative_total' then coalesce(total_amount >= 0, false)
            when 'pu_location_out_of_range' then coalesce(pu_location_id between 1 and 265, false)
            when 'do_location_out_of_range' then coalesce(do_location_id between 1 and 265, false)
            else true
        end as passes_stated_rule

    from rejected

)

select * from checked
where passes_stated_rule

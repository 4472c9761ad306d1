-- Trips by ISO weekday (1 Monday .. 7 Sunday) and hour of the pickup's local time.
with

trips as (

    {{ select_run_month(ref('yellow_trips')) }}

),

hourly as (

    select
        source_month,
        day_of_week(tpep_pickup_datetime) as pickup_weekday,
        hour(tpep_pickup_datetime) as pickup_hour,
        count(*) as trips,
        {{ exact_mean('trip_minutes', 60000) }} as avg_trip_minutes

    from trips
    group by source_month, day_of_week(tpep_pickup_datetime), hour(tpep_pickup_datetime)

)

select * from hourly

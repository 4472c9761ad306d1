-- One row per month: trip count and totals over the month's valid trips.
with

trips as (

    {{ select_run_month(ref('yellow_trips')) }}

),

summary as (

    select
        source_month,
        count(*) as trips,
        sum(coalesce(passenger_count, 0)) as passengers,
        -- Each trip's distance to hundredths of a mile (as published) first, so the sum is an exact decimal.
        cast(sum({{ to_hundredths('trip_distance') }}) as decimal(18, 2)) as distance_miles,
        cast(sum(fare_amount) as decimal(18, 2)) as fare_amount,
        cast(sum(tip_amount) as decimal(18, 2)) as tip_amount,
        cast(sum(tolls_amount) as decimal(18, 2)) as tolls_amount,
        cast(sum(total_amount) as decimal(18, 2)) as total_amount,
        cast(sum(cbd_congestion_fee) as decimal(18, 2)) as cbd_congestion_fee,
        -- Trip minutes are whole milliseconds: their mean from an exact sum is the same on every run.
        {{ exact_mean('trip_minutes', 60000) }} as avg_trip_minutes

    from trips
    group by source_month

)

select * from summary

-- gold.monthly_summary for the month equals the same totals computed over silver.yellow_trips: counts and
-- money and distance exactly, mean duration within 1e-9 relative. Also fails when the row is missing.
with

expected as (

    select
        count(*) as trips,
        sum(coalesce(passenger_count, 0)) as passengers,
        sum({{ to_hundredths('trip_distance') }}) as distance_miles,
        sum(fare_amount) as fare_amount,
        sum(tip_amount) as tip_amount,
        sum(tolls_amount) as tolls_amount,
        sum(total_amount) as total_amount,
        sum(cbd_congestion_fee) as cbd_congestion_fee,
        avg(trip_minutes) as avg_trip_minutes
    from {{ ref('yellow_trips') }}
    where {{ is_run_month() }}

),

actual as (

    {{ select_run_month(ref('monthly_summary')) }}

)

select
    expected.trips as expected_trips,
    actual.trips as actual_trips,
    expected.total_amount as expected_total_amount,
    actual.total_amount as actual_total_amount
from expected
left join actual on true
where
    expected.trips > 0
    and (
        actual.trips is null
        or actual.trips <> expected.trips
        or actual.passengers <> expected.passengers
        or actual.fare_amount <> expected.fare_amount
        or actual.tip_amount is distinct from expected.tip_amount
        or actual.tolls_amount is distinct from expected.tolls_amount
        or actual.total_amount <> expected.total_amount
        or actual.cbd_congestion_fee is distinct from expected.cbd_congestion_fee
        or actual.distance_miles <> expected.distance_miles
        or abs(actual.avg_trip_minutes - expected.avg_trip_minutes)
        > 1e-9 * greatest(1e0, abs(expected.avg_trip_minutes))
    )

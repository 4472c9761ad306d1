-- gold.hourly_demand trips add up to the month's trips, and its trip-weighted mean duration equals the
-- monthly mean (within 1e-9 relative).
with

hourly as (

    select
        coalesce(sum(trips), 0) as trips,
        sum(avg_trip_minutes * trips) / nullif(sum(trips), 0) as avg_trip_minutes
    from {{ ref('hourly_demand') }}
    where {{ is_run_month() }}

),

monthly as (

    select
        trips,
        avg_trip_minutes
    from {{ ref('monthly_summary') }}
    where {{ is_run_month() }}

)

select
    hourly.trips as hourly_trips,
    monthly.trips as monthly_trips
from hourly
left join monthly on true
where
    coalesce(monthly.trips, 0) <> hourly.trips
    or abs(hourly.avg_trip_minutes - monthly.avg_trip_minutes) > 1e-9 * greatest(1e0, abs(monthly.avg_trip_minutes))

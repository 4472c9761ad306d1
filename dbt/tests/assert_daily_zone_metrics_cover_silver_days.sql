-- gold.daily_zone_metrics has as many pickup days as the month's Silver trips, and those Silver trips are
-- the month's trips in gold.monthly_summary. (That daily_zone_metrics adds up to gold.monthly_summary is
-- its sums_to_monthly_summary test.)
with

silver as (

    select
        count(*) as trips,
        count(distinct pickup_date) as pickup_days
    from {{ ref('yellow_trips') }}
    where {{ is_run_month() }}

),

zone_days as (

    select count(distinct pickup_date) as pickup_days
    from {{ ref('daily_zone_metrics') }}
    where {{ is_run_month() }}

),

monthly as (

    select trips
    from {{ ref('monthly_summary') }}
    where {{ is_run_month() }}

)

select
    silver.trips as silver_trips,
    silver.pickup_days as silver_pickup_days,
    zone_days.pickup_days as zone_pickup_days,
    monthly.trips as monthly_trips
from silver
cross join zone_days
left join monthly on true
where
    coalesce(monthly.trips, 0) <> silver.trips
    or silver.pickup_days <> zone_days.pickup_days

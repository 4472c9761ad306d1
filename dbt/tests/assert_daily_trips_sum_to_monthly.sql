-- Silver trips per pickup day, and gold.daily_zone_metrics per day, add up to the month's totals in
-- gold.monthly_summary (trips and total_amount, exactly).
with

silver_days as (

    select
        pickup_date,
        count(*) as trips
    from {{ ref('yellow_trips') }}
    where {{ is_run_month() }}
    group by pickup_date

),

zone_days as (

    select
        pickup_date,
        sum(trips) as trips,
        sum(total_amount) as total_amount
    from {{ ref('daily_zone_metrics') }}
    where {{ is_run_month() }}
    group by pickup_date

),

totals as (

    select
        (select coalesce(sum(trips), 0) from silver_days) as silver_day_trips,
        (select coalesce(sum(trips), 0) from zone_days) as zone_day_trips,
        (select sum(total_amount) from zone_days) as zone_day_total_amount,
        (select count(*) from silver_days) as silver_days,
        (select count(*) from zone_days) as zone_days

),

monthly as (

    select
        trips,
        total_amount
    from {{ ref('monthly_summary') }}
    where {{ is_run_month() }}

)

select
    totals.*,
    monthly.trips as monthly_trips,
    monthly.total_amount as monthly_total_amount
from totals
left join monthly on true
where
    coalesce(monthly.trips, 0) <> totals.silver_day_trips
    or coalesce(monthly.trips, 0) <> totals.zone_day_trips
    or monthly.total_amount is distinct from totals.zone_day_total_amount
    or totals.silver_days <> totals.zone_days

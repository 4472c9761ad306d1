-- gold.payment_mix adds up to the month: trips and total_amount exactly, shares to 1 (within 1e-9).
with

mix as (

    select
        coalesce(sum(trips), 0) as trips,
        sum(total_amount) as total_amount,
        sum(trip_share) as trip_share
    from {{ ref('payment_mix') }}
    where {{ is_run_month() }}

),

monthly as (

    select
        trips,
        total_amount
    from {{ ref('monthly_summary') }}
    where {{ is_run_month() }}

)

select
    mix.*,
    monthly.trips as monthly_trips,
    monthly.total_amount as monthly_total_amount
from mix
left join monthly on true
where
    coalesce(monthly.trips, 0) <> mix.trips
    or monthly.total_amount is distinct from mix.total_amount
    or (mix.trips > 0 and abs(mix.trip_share - 1) > 1e-9)

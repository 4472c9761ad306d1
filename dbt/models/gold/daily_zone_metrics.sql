-- Trips and money per pickup day and pickup zone (zones grouped by borough and zone name).
with

trips as (

    {{ select_run_month(ref('yellow_trips')) }}

),

daily_zone_totals as (

    select
        source_month,
        pickup_date,
        pickup_borough,
        pickup_zone,
        count(*) as trips,
        sum(total_amount) as total_amount,
        sum(fare_amount) as fare_amount,
        {{ exact_mean('trip_distance', 100) }} as avg_distance,
        sum(case when payment_type = 1 then tip_amount end) as card_tip_amount,
        sum(case when payment_type = 1 then fare_amount end) as card_fare_amount

    from trips
    group by source_month, pickup_date, pickup_borough, pickup_zone

),

final as (

    select
        source_month,
        pickup_date,
        pickup_borough,
        pickup_zone,
        trips,
        cast(total_amount as decimal(18, 2)) as total_amount,
        avg_distance,
        cast(fare_amount as double) / trips as avg_fare,
        case
            when card_fare_amount = 0 then null
            else cast(card_tip_amount as double) / cast(card_fare_amount as double)
        end as card_tip_rate

    from daily_zone_totals

)

select * from final

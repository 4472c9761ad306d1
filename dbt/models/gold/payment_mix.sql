-- Trips and money by payment type, with each type's share of the month's trips.
with

trips as (

    {{ select_run_month(ref('yellow_trips')) }}

),

payment_types as (

    select * from {{ ref('stg_reference__payment_types') }}

),

by_payment_type as (

    select
        source_month,
        payment_type,
        count(*) as trips,
        sum(total_amount) as total_amount

    from trips
    group by source_month, payment_type

),

final as (

    select
        by_payment_type.source_month,
        by_payment_type.payment_type,
        coalesce(payment_types.payment_type_name, 'Unmapped') as payment_type_name,
        by_payment_type.trips,
        cast(by_payment_type.total_amount as decimal(18, 2)) as total_amount,
        cast(by_payment_type.trips as double)
        / sum(by_payment_type.trips) over (partition by by_payment_type.source_month) as trip_share

    from by_payment_type
    left join payment_types
        on by_payment_type.payment_type = payment_types.payment_type

)

select * from final

-- The run's month of Bronze, column by column. Bronze names are already the project's names, so this
-- only selects the month (pruning every other partition) and lists the columns explicitly.
with

source as (

    {{ select_run_month(source('bronze', 'yellow_trips')) }}

),

renamed as (

    select
        ----------  ids and codes
        vendor_id,
        ratecode_id,
        pu_location_id,
        do_location_id,
        payment_type,
        store_and_fwd_flag,

        ----------  timestamps
        tpep_pickup_datetime,
        tpep_dropoff_datetime,

        ----------  measures
        passenger_count,
        trip_distance,

        ----------  money (dollars, as published)
        fare_amount,
        extra,
        mta_tax,
        tip_amount,
        tolls_amount,
        improvement_surcharge,
        total_amount,
        congestion_surcharge,
        airport_fee,
        cbd_congestion_fee,

        ----------  lineage
        source_month,
        source_file,
        source_sha256,
        ingested_at,
        run_id

    from source

)

select * from renamed

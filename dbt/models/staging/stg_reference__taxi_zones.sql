-- TLC taxi zones from the seed, with the project's column names. 'N/A' in the seed is literal text.
with

source as (

    select * from {{ ref('taxi_zone_lookup') }}

),

renamed as (

    select
        cast(locationid as bigint) as location_id,
        borough,
        zone as zone_name,
        service_zone

    from source

)

select * from renamed

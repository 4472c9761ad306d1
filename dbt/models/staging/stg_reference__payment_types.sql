-- Names of TLC payment_type codes (TLC data dictionary).
with

payment_types as (

    select * from (
        values
        (0, 'Flex Fare'),
        (1, 'Credit card'),
        (2, 'Cash'),
        (3, 'No charge'),
        (4, 'Dispute'),
        (5, 'Unknown'),
        (6, 'Voided trip')
    -- The alias only names the values' columns.
    ) as codes (payment_type, payment_type_name)  -- noqa: AL05

),

renamed as (

    select
        cast(payment_type as bigint) as payment_type,
        cast(payment_type_name as varchar) as payment_type_name

    from payment_types

)

select * from renamed

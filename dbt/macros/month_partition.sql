{#-
  Materialization of the Silver and Gold tables: each holds every month loaded so far, partitioned by
  source_month, and a run replaces exactly its own month (var('month')).

  dbt-trino's incremental delete+insert first writes the model's rows into a temporary table and then copies
  them into the target (views, which would avoid that, are not available on the Nessie catalog): the month's
  Silver was written twice. This writes the rows once, straight into the table:
    - no table yet: create it (with the contract's columns) and insert the month;
    - table there: delete the run's month (drops whole files of the month's partition), then insert it.
  The catalog session properties of config `write_catalog_session` (names without the catalog: the run's
  catalog is added) apply to this model's statements only (see dbt_project.yml for the values and why).
  Like `on_schema_change: fail`, a table whose columns differ from the model's stops the run with a clear
  message, and the model's columns are checked against its enforced contract before anything is written.
  The run writes to its own Nessie branch, merged only after the audit, so main never sees the month deleted.
-#}
{% materialization month_partition, adapter='trino', supported_languages=['sql'] -%}

  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- if existing_relation is not none and not existing_relation.is_table -%}
    {{ exceptions.raise_compiler_error(
        existing_relation ~ " exists but is a " ~ existing_relation.type ~ ", not a table: drop it, then run again."
    ) }}
  {%- endif -%}

  {{ run_hooks(pre_hooks) }}
  {%- do set_write_session() -%}

  {%- if existing_relation is none -%}
    {%- call statement('main') -%}
      {{ create_table_as(False, target_relation, compiled_code) }}
    {%- endcall -%}
  {%- else -%}
    {%- if config.get('contract').enforced -%}
      {%- do get_assert_columns_equivalent(compiled_code) -%}
    {%- endif -%}
    {%- set model_columns = get_column_schema_from_query(compiled_code) -%}
    {%- set table_columns = adapter.get_columns_in_relation(existing_relation) -%}
    {#- The query's column types come without precision (dbt-trino keeps only 'DECIMAL', 'TIMESTAMP'), so
        with an enforced contract the table is compared with the contract's full types (the query was just
        checked against the contract); without one, by column names only. -#}
    {%- set typed = config.get('contract').enforced -%}
    {%- set model_signature = [] -%}
    {%- if typed -%}
      {%- for column in model['columns'].values() -%}
        {%- do model_signature.append(column.name | lower ~ ' ' ~ (column.data_type | lower | replace(' ', ''))) -%}
      {%- endfor -%}
    {%- else -%}
      {%- for column in model_columns -%}
        {%- do model_signature.append(column.name | lower) -%}
      {%- endfor -%}
    {%- endif -%}
    {%- set table_signature = [] -%}
    {%- for column in table_columns -%}
      {%- do table_signature.append(column.name | lower ~ ((' ' ~ (column.data_type | lower | replace(' ', ''))) if typed else '')) -%}
    {%- endfor -%}
    {#- information_schema lists the columns in no guaranteed order; the INSERT names them. -#}
    {%- if model_signature | sort != table_signature | sort -%}
      {#- Only the differing columns: the full lists are too long to read in a worker log. -#}
      {{ exceptions.raise_compiler_error(
          "The columns of " ~ existing_relation ~ " differ from the model's: only in the table ("
          ~ table_signature | reject('in', model_signature) | join(', ') ~ "), only in the model ("
          ~ model_signature | reject('in', table_signature) | join(', ') ~ "). Migrate the table (or drop it "
          ~ "and reload its months), then run again."
      ) }}
    {%- endif -%}
    {%- set column_list = get_quoted_csv(model_columns | map(attribute='name') | list) -%}
    {%- call statement('delete_run_month') -%}
      delete from {{ target_relation }} where {{ is_run_month() }}
    {%- endcall -%}
    {%- call statement('main') -%}
      insert into {{ target_relation }} ({{ column_list }})
      select {{ column_list }}
      from (
        {{ compiled_code }}
      ) as model_rows
    {%- endcall -%}
  {%- endif -%}

  {%- do reset_write_session() -%}
  {{ run_hooks(post_hooks) }}
  {%- do persist_docs(target_relation, model) -%}

  {{ return({'relations': [target_relation]}) }}

{%- endmaterialization %}


{#- The model's write session properties as (qualified name, value) pairs, each name and value checked. -#}
{% macro write_session_properties() -%}
  {%- set properties = [] -%}
  {%- for name, raw in (config.get('write_catalog_session') or {}).items() -%}
    {%- set value = (raw | string | lower) if raw is sameas true or raw is sameas false else raw | string -%}
    {%- if not modules.re.match('^[a-z][a-z0-9_]*$', name | string)
        or not modules.re.match('^[A-Za-z0-9_.]+$', value | string) -%}
      {{ exceptions.raise_compiler_error(
          "Invalid Trino session property in write_catalog_session: " ~ name ~ " = " ~ value
          ~ " (names are lower-case identifiers, values plain words or numbers)."
      ) }}
    {%- endif -%}
    {%- do properties.append((target.database ~ '.' ~ name, value)) -%}
  {%- endfor -%}
  {{ return(properties) }}
{%- endmacro %}


{#- SET SESSION of each write property: the Trino client keeps them for the connection's next statements. -#}
{% macro set_write_session() -%}
  {%- for name, value in write_session_properties() -%}
    {%- set literal = value if modules.re.match('^[0-9]+$', value) or value in ['true', 'false'] else "'" ~ value ~ "'" -%}
    {%- call statement('set_write_session') -%}
      set session {{ name }} = {{ literal }}
    {%- endcall -%}
  {%- endfor -%}
{%- endmacro %}


{#- Puts the connection's session back, so the tests and models run after this one on it are unaffected. -#}
{% macro reset_write_session() -%}
  {%- for name, value in write_session_properties() -%}
    {%- call statement('reset_write_session') -%}
      reset session {{ name }}
    {%- endcall -%}
  {%- endfor -%}
{%- endmacro %}

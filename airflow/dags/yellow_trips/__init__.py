"""The library of the DAG nyc_yellow_trips (nyc_yellow_trips_dag.py): one module per step of the run.

Airflow puts the dags folder on sys.path, so the DAG imports this package as ``yellow_trips``;
``.airflowignore`` keeps the DAG processor from parsing these modules as DAG files. Nothing here imports
Airflow at package import time, so ``bronze_schema`` also serves bench/pyiceberg_append.py.
"""

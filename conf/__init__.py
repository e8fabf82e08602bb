"""Default YAML configuration shipped inside the wheel.

`base.yml` holds settings common to every environment, `env/<name>.yml` overlays one
environment (where Spark, tables and MLflow live), and `use_cases/<name>.yml` describes one
model: its sources, columns, features, algorithm and output tables.
"""

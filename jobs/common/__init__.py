"""Runtime plumbing the jobs share: configuration, SparkSession, tables, MLflow."""

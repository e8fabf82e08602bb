"""The library: Spark ML stages and DataFrame-in/DataFrame-out functions, free of I/O."""

"""Data gathering: raw landing records into bronze, typed checks into silver, schema drift,
schema inference and generated data."""

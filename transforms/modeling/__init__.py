"""Model building and assessment: candidates from config, tuning, statistics, business value."""

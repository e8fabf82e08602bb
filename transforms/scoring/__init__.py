"""Production scoring: input screening, the prediction table, the xgboost fast path."""

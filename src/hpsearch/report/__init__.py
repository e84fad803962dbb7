"""Stages 9-10: select, refit, judge on hold-out, publish to MLflow, and the report files."""

"""Stage 8: MLflow: the parent run, child runs written from the driver, the model registry."""

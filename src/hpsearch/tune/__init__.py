"""Stage 7: Ray Tune orchestration, the only package (with ``compat``) that imports ray.tune."""

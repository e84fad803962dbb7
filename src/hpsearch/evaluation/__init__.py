"""Stage 6: the Ray-free work of a trial: fold evaluation, scoring, the per-actor fold cache."""

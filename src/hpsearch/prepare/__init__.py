"""Stage 2-3: load the data, check it, split off the hold-out set, run the leakage gate."""

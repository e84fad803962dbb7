"""``hpsearch.SearchCV``: a drop-in for scikit-learn's ``RandomizedSearchCV`` on Ray."""

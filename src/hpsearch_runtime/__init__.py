"""What a registered model's pipeline runs at prediction time, and nothing else.

The transformers and wrappers hpsearch puts into pipelines live here, in a package that
imports only numpy, pandas and scikit-learn (checked by the import contract). A registered
model ships this package with it (MLflow ``code_paths``), so it loads and predicts where
neither hpsearch nor this package is installed, from the model's own ``requirements.txt``.
It is a package of its own, not ``hpsearch.*``, so the copy shipped with a model never
shadows an installed hpsearch.
"""

"""Import path kept for models registered by hpsearch 0.1.

Their pipelines reference ``hpsearch.pipelines.to_category_strings`` by name (skops stores
functions by module and name), so the name must stay importable here. New pipelines use
``hpsearch_runtime.categories.to_category_strings``.
"""

from hpsearch_runtime.categories import to_category_strings

__all__ = ["to_category_strings"]

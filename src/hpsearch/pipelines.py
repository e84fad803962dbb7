"""Import path kept for models registered by hpsearch 0.1.

Their pipelines reference ``hpsearch.pipelines.to_category_strings`` by name (skops stores
functions by module and name), so the name must stay importable here. New code imports
``hpsearch.spaces.pipelines``.
"""

from hpsearch.spaces.pipelines import to_category_strings

__all__ = ["to_category_strings"]

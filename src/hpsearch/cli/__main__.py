"""``python -m hpsearch.cli``: what Ray job entrypoints and the tests run."""

from hpsearch.cli.main import main

main()

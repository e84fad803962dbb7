"""Every use of another package's private internals, in one guarded place.

Each module here touches private attributes, private modules or environment conventions
of one package, checks first that the installed version is one it was written for and
that what it touches exists, and raises ``IncompatibleVersionError`` (naming the package,
its version and the known range) instead of silently changing behaviour. The rest of
hpsearch uses only public APIs. ``docs/architecture.md`` lists each use and the public
API that was missing.
"""

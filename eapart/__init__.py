"""eapart: cut a county's building footprints into census enumeration areas.

The Python API, for notebooks and scripts (names load on first use, so
``import eapart`` stays quick):

- :func:`eapart.partition`: GeoDataFrames in, an :class:`eapart.Areas` out, nothing written;
- :func:`eapart.run`: the file job of ``eapart run`` (a :class:`eapart.RunConfig` in);
- :class:`eapart.Areas`: the result of a run; ``Areas.read(outdir)`` reads an output
  back, ``areas.to_file(dir)`` writes one.
"""

#: Public names and the module each one lives in, imported when first used.
_LAZY = {
    "partition": "eapart.partition",  # the package, callable: eapart.api.partition
    "run": "eapart.api",
    "RunResult": "eapart.api",
    "Areas": "eapart.domain.areas",
    "RunConfig": "eapart.config",
    "PartitionConfig": "eapart.config",
    "Columns": "eapart.config",
    "HouseholdParams": "eapart.config",
}

__all__ = ["__version__", *_LAZY]


def _installed_version() -> str:
    """The installed distribution's version, or a placeholder in an uninstalled tree.

    Read when ``eapart.__version__`` is first asked for, not by every ``import eapart``:
    importing ``importlib.metadata`` alone costs about 45 ms, a fifth of ``eapart --help``.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("eapart")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0+unknown"


def __getattr__(name: str):
    """Import a public name from its module on first use (PEP 562)."""
    if name == "__version__":
        globals()[name] = value = _installed_version()
        return value
    if name not in _LAZY:
        raise AttributeError(f"module 'eapart' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(_LAZY[name])
    value = module if module.__name__ == f"eapart.{name}" else getattr(module, name)
    globals()[name] = value
    return value

"""The project's vocabulary, in one place: codes, flags, layer and column names,
parameter names, building types and barrier classes, and the :class:`Areas` object
that holds the result of a run (docs/domain.md, docs/contract.md).

Every other package imports these names from here and never types a layer, column,
flag or code rule again. ``eapart.domain`` imports nothing of eapart but
:mod:`eapart.errors`, so any room of the house can depend on it.
"""

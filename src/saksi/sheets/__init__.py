"""Form C.Hasil: the tally sheet of one contest at one TPS (``docs/sheet-format.md``).

Modules, each with one job (imported directly; this package imports nothing
so that ``saksi --help`` stays fast):

- ``model``      frozen wire structs (``Sheet`` …), field paths
- ``canonical``  ``encode`` / ``decode`` / ``decode_canonical`` / ``is_canonical``
- ``shape``      ``SheetShapeError`` (CH-SHAPE) and contest-dependent shape
- ``rules``      ``check_sheet``, ``parse_and_check``, rule codes and results
- ``generate``   ``generate_sheet``: realistic sheets that pass every rule
- ``inject``     ``inject``: the 2024 failure patterns
- ``shares``     embedded vote shares; ``samples``: hand-built ballots
- ``commands``   ``saksi sheet example|check``
"""

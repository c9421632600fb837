"""The independent verifier and log monitor.

Written from the published format documents only (``docs/verifier.md`` lists
them): nothing here imports the saksi code that writes the log, signs the
documents or computes the results, so a bug there cannot hide itself here.
"""

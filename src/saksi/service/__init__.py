"""The results service: the sequencer process (the one writer of the log and
the database), the worker-side pre-check, their socket protocol, and
``saksi serve`` (see docs/adr/0004-results-service.md)."""

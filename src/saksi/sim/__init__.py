"""Election night from the KPPS side: simulated devices and PPK officers that
sign and submit sheets to a running ``saksi serve``, then check that every
receipt is in the log and the published totals add up (``saksi simulate``,
``saksi demo``, ``saksi bench ingest``)."""

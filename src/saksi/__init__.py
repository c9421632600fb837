"""saksi: election results signed at the source, kept in a transparency log,
recapitulated in the open and verifiable by anyone."""

__version__ = "0.1.0"

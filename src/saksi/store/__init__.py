"""The results service's database: an index and cache of what the log says.

One interface (:class:`Store`), two back ends chosen by URL: SQLite in WAL
mode (the default, ``DIR/saksi.sqlite``) and PostgreSQL through psycopg 3
(``postgresql://…``). The log stays the record; everything here can be
rebuilt by replaying it.
"""

from saksi.store.base import Batch, DocumentRow, KeyRow, Store, open_store

__all__ = ["Batch", "DocumentRow", "KeyRow", "Store", "open_store"]

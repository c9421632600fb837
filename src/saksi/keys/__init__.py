"""Keys, roles, signed envelopes and the trust registry.

Modules, each with one job:

- ``ids``        key ids and roles
- ``envelope``   the canonical signed envelope (DSSE-style JSON)
- ``payloads``   the control documents: manifest, authority certificate,
                 enrolment, revocation
- ``keyfile``    private key files on disk (0600, optionally sealed)
- ``simulation`` deterministic simulated device keys from a secret master seed
- ``registry``   the pure trust registry fed by the log
- ``verify``     process-pool friendly signature checks
- ``hierarchy``  building an election's authority hierarchy (``keys init``)
- ``commands``   the ``saksi keys`` commands and ``saksi sheet sign``
"""

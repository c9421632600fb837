"""The public portal: results for every region and TPS, the proof one click away.

    from saksi.portal import portal_app, portal_routes

``portal_routes(state)`` gives the pages and the ``/static`` mount;
``portal_app(...)`` wraps them (with gzip) as the API app's fallback. See
docs/portal.md.
"""

from saksi.portal.routes import portal_app, portal_routes

__all__ = ["portal_app", "portal_routes"]

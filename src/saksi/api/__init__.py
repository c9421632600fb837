"""The public HTTP API (Starlette): submissions, results, proofs, the log's
static files and bulk downloads. See docs/api.md."""

from saksi.api.app import ApiConfig, build_app, create_app

__all__ = ["ApiConfig", "build_app", "create_app"]

"""The optional C accelerators: the verifier's (src/saksi/audit/_accel.c) and the
service's check of a clean sheet (src/saksi/ingest/_fast.c), kept apart so that
one mistake cannot both admit a sheet and pass it in audit.

Everything else is configured in pyproject.toml. ``optional=True``: without a C
compiler the build goes on and saksi runs on the pure-Python paths, which are the
references the accelerators are tested against."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("saksi.audit._accel", ["src/saksi/audit/_accel.c"],
                             optional=True),
                   Extension("saksi.ingest._fast", ["src/saksi/ingest/_fast.c"],
                             optional=True)])

"""The optional C accelerator of the verifier (src/saksi/audit/_accel.c).

Everything else is configured in pyproject.toml. ``optional=True``: without a C
compiler the build goes on and saksi runs on the pure-Python path, which is the
reference the accelerator is tested against."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("saksi.audit._accel", ["src/saksi/audit/_accel.c"],
                             optional=True)])

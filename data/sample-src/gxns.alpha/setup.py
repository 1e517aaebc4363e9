from setuptools import setup

setup(
    name="gxns.alpha",
    version="1.0",
    description="egg-migrate sample: pkg_resources-style namespace package, part 1",
    author="egg-migrate sample",
    license="MIT",
    packages=["gxns", "gxns.alpha"],
    namespace_packages=["gxns"],
)

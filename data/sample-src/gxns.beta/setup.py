from setuptools import setup

setup(
    name="gxns.beta",
    version="1.0",
    description="egg-migrate sample: pkg_resources-style namespace package, part 2",
    author="egg-migrate sample",
    license="MIT",
    packages=["gxns", "gxns.beta"],
    namespace_packages=["gxns"],
    install_requires=["gxns.alpha>=1.0"],
)

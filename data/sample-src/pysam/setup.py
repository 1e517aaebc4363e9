from setuptools import setup, Extension

setup(
    name="pysam",
    version="0.4.2",
    description="egg-migrate sample: a tiny pysam look-alike, C extension linked against zlib",
    author="egg-migrate sample",
    license="MIT",
    packages=["pysam"],
    ext_modules=[Extension("pysam.csamtools", ["pysam/csamtools.c"], libraries=["z"])],
)

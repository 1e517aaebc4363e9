from setuptools import setup, Extension

setup(
    name="bx-python",
    version="0.7.2",
    description="egg-migrate sample: a tiny bx-python look-alike with a C extension",
    author="egg-migrate sample",
    license="MIT",
    packages=["bx"],
    ext_modules=[Extension("bx._seqmapping", ["bx/_seqmapping.c"])],
)

from setuptools import setup, Extension

setup(
    name="MarkupShim",
    version="0.12",
    description="egg-migrate sample: a MarkupSafe look-alike with C speedups",
    author="egg-migrate sample",
    license="MIT",
    packages=["markupshim"],
    ext_modules=[Extension("markupshim._speedups", ["markupshim/_speedups.c"])],
)

from setuptools import setup, Extension

setup(
    name="lxmlshim",
    version="2.3",
    description="egg-migrate sample: C extension linked against the system libxml2",
    author="egg-migrate sample",
    license="MIT",
    packages=["lxmlshim"],
    ext_modules=[
        Extension(
            "lxmlshim._xml",
            ["lxmlshim/_xml.c"],
            include_dirs=["/usr/include/libxml2"],
            libraries=["xml2"],
        )
    ],
)

from setuptools import setup

setup(
    name="sampledep",
    version="1.0",
    description="egg-migrate sample: a dependency other sample eggs need",
    author="egg-migrate sample",
    license="MIT",
    packages=["sampledep"],
)

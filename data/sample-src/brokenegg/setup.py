from setuptools import setup

setup(
    name="brokenegg",
    version="1.0",
    description="egg-migrate sample: built whole, then committed truncated",
    author="egg-migrate sample",
    license="MIT",
    packages=["brokenegg"],
)

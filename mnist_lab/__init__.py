"""MNIST Lab's engine: data, models, training, runs and analysis. No Streamlit in here."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mnist-lab")
except PackageNotFoundError:  # run from a checkout that was not installed
    __version__ = "0+unknown"

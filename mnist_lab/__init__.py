"""MNIST Lab's engine: data, models, training, runs and analysis. No Streamlit in here."""
__version__ = "0.1.0"

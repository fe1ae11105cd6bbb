"""The domain core: plain Python, no web framework, no database."""

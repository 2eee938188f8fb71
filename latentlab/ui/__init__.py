"""The dashboard's shared pieces: the only part of the package that imports streamlit."""

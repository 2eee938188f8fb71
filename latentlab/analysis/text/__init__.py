"""Text datasets: search by meaning (``search``) and clusters named by their words (``keywords``)."""

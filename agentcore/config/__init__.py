"""Loading and validating ``cipher.yml``."""

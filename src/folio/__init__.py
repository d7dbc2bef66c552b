"""folio: a static-site generator for freelancers and portfolio careerists."""

__version__ = "0.1.0"

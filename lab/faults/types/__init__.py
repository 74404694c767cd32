"""One module per fault family; each registers its fault types with ``@register``."""

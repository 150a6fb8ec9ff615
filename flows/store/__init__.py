"""Where data lives: the landing zone (read only), the warehouse and its manifest, staging and locks."""

"""Charts drawn on the server (SVG), for pages that show figures."""

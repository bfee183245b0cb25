"""PyWebIO pages and the HTTP server (thin: all work is done by nets/)."""

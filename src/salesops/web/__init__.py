"""Server-rendered pages, templates, translations and the app's own static files."""

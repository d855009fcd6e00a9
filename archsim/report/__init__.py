"""The sweep report: a multi-page PDF rendered from a results store (`render_report`)."""

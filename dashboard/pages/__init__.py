"""Pages of the dashboard, registered with ``dash.register_page``."""

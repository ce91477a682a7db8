from dashboard.app import create_app

create_app()  # registers the pages and their callbacks before the tests import them

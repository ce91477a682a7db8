"""The Dash dashboard of the digital flywheel model (``flywheel serve``)."""

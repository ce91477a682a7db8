"""Call Dash callbacks directly, with a chosen trigger."""

from contextvars import copy_context

from dash._callback_context import context_value
from dash._utils import AttributeDict

LEVER = "explore-lever"


def triggered(func, prop_id, *args):
    """Run ``func(*args)`` as if ``prop_id`` (e.g. ``"explore-reset.n_clicks"``) fired it."""

    def call():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": None}]))
        return func(*args)

    return copy_context().run(call)


def lever_ids(keys):
    return [{"type": LEVER, "key": key} for key in keys]

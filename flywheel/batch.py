"""Many runs at once: the translated model evaluated for N sets of constants in one Euler pass.

A constant that differs between members is a numpy array of length N; every other value
stays a plain number. The equations are the translated model's own functions, re-bound to
a namespace of this run (nothing is re-implemented and the shared model is never
touched); stateful elements (INTEG, INITIAL, SAMPLE IF TRUE) carry arrays. The step
follows pysd's own, so member i reproduces ``Engine.run`` with member i's constants:

* initialise the stateful elements in pysd's initialisation order, then clear the caches;
* at each step: record the outputs at saving times, evaluate every stock's rate, then
  update the dynamic elements in pysd's order. A SAMPLE IF TRUE samples during that
  update, when pysd's step cache still holds the values of the functions it caches and
  recomputes the others from the stocks updated so far: both are reproduced;
* ``IF THEN ELSE`` over members evaluates a branch only for a condition that some member
  takes (both branches under ``numpy.where`` when members differ).

Members are independent: no value of one member enters another's arithmetic.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from flywheel.errors import InputError

_MISSING = object()
_CONTROL = ("initial_time", "final_time", "time_step", "saveper")


def raw_function(function):
    """A translated model function without pysd's caching wrappers."""
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function


def vector_float(value):
    """The translated code wraps some results in ``float()``; keep arrays (members, steps)."""
    if isinstance(value, np.ndarray) and value.ndim:
        return value
    if isinstance(value, xr.DataArray) and value.ndim:
        return value
    return float(value)


def _branch(function):
    try:
        return function()
    except ArithmeticError:  # a plain-number branch no member takes may divide by zero
        return np.nan


def vector_if(condition, if_true, if_false):
    """Vensim's IF THEN ELSE over arrays (members, time steps): the branch each element picks.

    A branch is evaluated only when some element takes it.
    """
    if isinstance(condition, np.ndarray) and condition.ndim:
        if condition.all():
            return if_true()
        if not condition.any():
            return if_false()
        return np.where(condition, _branch(if_true), _branch(if_false))
    if isinstance(condition, xr.DataArray):
        if condition.all():
            return if_true()
        if not condition.any():
            return if_false()
        return xr.where(condition, if_true(), if_false())
    return if_true() if condition else if_false()


def shared_or_array(values: np.ndarray) -> float | np.ndarray:
    """One number when every member has the same value, else the members' array.

    Constants that are plain numbers keep the batch's arithmetic scalar where it can be.

    Examples
    --------
    >>> shared_or_array(np.array([2.0, 2.0])), shared_or_array(np.array([1.0, 2.0]))
    (2.0, array([1., 2.]))
    """
    return float(values[0]) if np.all(values == values[0]) else values


def _as_member_array(value):
    """Member arrays as an xarray dimension, for equations over subscripts."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return xr.DataArray(value, dims=("member",))
    return value


@dataclass
class BatchResult:
    """Trajectories of N members: ``values[column]`` is an array (members x saved times)."""

    times: np.ndarray
    values: dict[str, np.ndarray]
    members: int

    def repeated(self, members: int) -> BatchResult:
        """A single-member result repeated as ``members`` identical members."""
        values = {k: np.repeat(v[:1], members, axis=0) for k, v in self.values.items()}
        return BatchResult(self.times, values, members)

    def member(self, index: int) -> pd.DataFrame:
        """Member ``index`` as the year x variable table ``Engine.run`` returns."""
        return pd.DataFrame(
            {column: array[index] for column, array in self.values.items()}, index=self._index()
        )

    def long(self, members: Sequence[int] | None = None) -> pd.DataFrame:
        """One row per member and saved time (columns: member, year, one per variable)."""
        chosen = np.arange(self.members) if members is None else np.asarray(members)
        times = self.times.round(6)
        frame = pd.DataFrame(
            {
                "member": np.repeat(chosen, len(times)),
                "year": np.tile(times, len(chosen)),
            }
        )
        for column, array in self.values.items():
            frame[column] = array[chosen].reshape(-1)
        if np.all(np.mod(times, 1) == 0):
            frame["year"] = frame["year"].astype(int)
        return frame

    def percentiles(self, column: str, quantiles: Sequence[float]) -> pd.DataFrame:
        """Quantiles over members of one variable at every saved time (NaN members ignored)."""
        values = np.nanquantile(self.values[column], quantiles, axis=0)
        return pd.DataFrame(values.T, index=self._index(), columns=list(quantiles))

    def _index(self) -> pd.Index:
        index = pd.Index(self.times.round(6), name="year")
        return index.astype(int) if np.all(np.mod(self.times, 1) == 0) else index


class BatchEngine:
    """The model of an :class:`~flywheel.engine.Engine`, run for many members at once.

    Parameters
    ----------
    engine : Engine
        The translated model; the batch engine reads its own private pysd copy of it.

    Examples
    --------
    >>> from flywheel.simulate import engine
    >>> batch = BatchEngine(engine())
    >>> result = batch.run({"Digital capital lifetime": np.array([4.0, 8.0, 12.0])},
    ...                    ["Digital Capital"])
    >>> result.values["Digital Capital"].shape
    (3, 46)
    """

    def __init__(self, engine):
        self.engine = engine
        model = engine.private_model()
        # configured as Engine runs are, so that the set of functions pysd caches per step
        # (which decides what a SAMPLE IF TRUE sees while stocks update) is the same
        stock = next(v.name for v in engine.variables.values() if v.is_stock)
        model.run(return_columns=[stock], progress=False, cache_output=False)
        module = model.components._components
        self._globals = dict(vars(module))
        namespace = dict(model._namespace)
        self._functions = {
            py: raw_function(getattr(module, py))
            for py in set(namespace.values()) | set(_CONTROL)
            if callable(getattr(module, py, None))
        }
        self._cache_type = dict(model.cache_type)
        self._cached = set(model.cache.cached_funcs)
        self._statefuls = dict(model._stateful_elements)
        self._initialize_order = list(model.initialize_order)
        self._dynamic = [element.py_name for element in model._dynamicstateful_elements]
        self._subscripts = dict(getattr(module, "_subscript_dict", {}))
        for name, element in self._statefuls.items():
            kind = type(element).__name__
            if kind not in ("Integ", "Initial", "SampleIfTrue"):
                raise NotImplementedError(f"{name}: stateful element {kind} is not batched yet")

    # -- public ----------------------------------------------------------------------------

    def run(
        self,
        params: Mapping[str, float | np.ndarray],
        columns: Sequence[str],
        time_step: float | None = None,
    ) -> BatchResult:
        """Run every member from the initial state; return the chosen columns.

        Parameters
        ----------
        params : mapping
            Model constant -> a number (all members) or an array of length N (one value
            per member). Constants not named keep the model file's value.
        columns : sequence of str
            Model variables to return (subscripted ones as ``name[element]`` columns).
        time_step : float, optional
            Integration step; the model file's TIME STEP if omitted.

        Raises
        ------
        InputError
            A name that is not a constant, arrays of different lengths, or an array that
            is not one-dimensional.
        """
        constants, members = self._constants(params)
        wanted = [self.engine.variable(name) for name in columns]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._integrate(constants, members, wanted, time_step or self.engine.time_step)

    # -- set-up ----------------------------------------------------------------------------

    def _constants(self, params) -> tuple[dict[str, object], int]:
        values, members = {}, None
        for name, value in params.items():
            variable = self.engine.variable(name)
            if not variable.is_constant:
                raise InputError(f"'{name}' is not a constant of the model and cannot be set")
            if isinstance(value, np.ndarray) and value.ndim > 0:
                if value.ndim != 1:
                    raise InputError(f"'{name}': member values must be a one-dimensional array")
                if members is not None and len(value) != members:
                    raise InputError(
                        f"'{name}': {len(value)} member values, but other constants have {members}"
                    )
                members = len(value)
                values[variable.py_name] = value.astype(float)
            else:
                values[variable.py_name] = float(value)
        return values, members or 1

    def _namespace(self, constants, dt):
        """A private namespace in which the model's functions run over members."""
        scope = dict(self._globals)
        context = types.SimpleNamespace(step={}, run={}, time=0.0, states={})

        def remembered(name, function, kind):
            if kind == "run":

                def call():
                    value = context.run.get(name, _MISSING)
                    if value is _MISSING:
                        value = context.run[name] = function()
                    return value

            else:

                def call():
                    cache = context.step
                    value = cache.get(name, _MISSING)
                    if value is _MISSING:
                        value = cache[name] = function()
                    return value

            return call

        def rebound(function):
            return types.FunctionType(
                function.__code__, scope, function.__name__, function.__defaults__
            )

        control = {
            "initial_time": self.engine.initial_time,
            "final_time": self.engine.final_time,
            "time_step": dt,
            "saveper": self.engine.saveper,
        }
        for name, function in self._functions.items():
            if name in control:
                scope[name] = (lambda value: lambda: value)(control[name])
            elif name == "time":
                scope[name] = lambda: context.time
            elif name in constants:
                scope[name] = (lambda value: lambda: value)(constants[name])
            else:
                kind = self._cache_type.get(name) or "step"
                scope[name] = remembered(name, rebound(function), kind)
        scope["if_then_else"] = vector_if
        scope["float"] = vector_float

        parts = {}
        for name, element in self._statefuls.items():
            kind = type(element).__name__
            if kind == "SampleIfTrue":
                condition, actual = rebound(element.condition), rebound(element.actual_value)
                parts[name] = (kind, rebound(element.init_func), condition, actual)

                def sample(name=name, condition=condition, actual=actual):
                    return vector_if(condition(), actual, lambda: context.states[name])

                scope[name] = sample
            else:
                ddt = rebound(element.ddt) if kind == "Integ" else None
                parts[name] = (kind, rebound(element.init_func), ddt, None)
                scope[name] = _state_reader(context.states, name)
        return scope, context, parts

    # -- integration -----------------------------------------------------------------------

    def _integrate(self, constants, members, wanted, dt) -> BatchResult:
        scope, context, parts = self._namespace(constants, dt)
        initial, final, saveper = (
            self.engine.initial_time,
            self.engine.final_time,
            self.engine.saveper,
        )
        context.time = initial
        for name in self._initialize_order:
            context.states[name] = parts[name][1]()
        context.step = {}  # pysd clears its caches once the initial state is set

        readers = self._readers(scope, context, wanted, members)
        recorded: dict[str, list] = {column: [] for column in readers}
        times = []
        precision = dt * 1e-5
        integs = [name for name in self._dynamic if parts[name][0] == "Integ"]
        time = initial
        while True:
            delay = time - initial
            if delay % saveper < precision or -delay % saveper < precision:
                times.append(time)
                for column, read in readers.items():
                    recorded[column].append(read())
            if not time + precision < final:
                break
            rates = {name: parts[name][2]() for name in integs}
            self._update(context, parts, rates, dt)
            time = time + dt
            context.time = time
            context.step = {}
        values = {
            column: np.column_stack([np.broadcast_to(v, (members,)) for v in series])
            for column, series in recorded.items()
        }
        return BatchResult(np.asarray(times, dtype=float), values, members)

    def _update(self, context, parts, rates, dt) -> None:
        """Pysd's ``state = state + ddt * dt``, element by element in pysd's order."""
        at_step = context.step
        kept = {name: value for name, value in at_step.items() if name in self._cached}
        for name in self._dynamic:
            kind, _, first, second = parts[name]
            if kind == "Integ":
                context.states[name] = context.states[name] + rates[name] * dt
                continue
            # SAMPLE IF TRUE: pysd's cached functions answer from the step's cache, the
            # others are recomputed from the stocks updated so far
            context.step = dict(kept)
            state = context.states[name]
            sampled = vector_if(first(), second, lambda state=state: state)
            context.states[name] = state * 0 + sampled
            for key in (context.step.keys() - kept.keys()) & self._cached:
                kept[key] = context.step[key]
        context.step = at_step

    def _readers(self, scope, context, wanted, members) -> dict[str, object]:
        """Column name -> a function giving its value now (member arrays or a number)."""
        readers = {}
        subscope = None
        for variable in wanted:
            if not variable.subscripts:
                readers[variable.name] = scope[variable.py_name]
                continue
            if subscope is None:
                subscope = self._subscript_scope(scope)
            dims = list(variable.subscripts)
            elements = [self._subscripts[dim] for dim in dims]
            memory: dict[float, xr.DataArray] = {}

            def whole(function=subscope[variable.py_name], dims=dims, memory=memory):
                if context.time not in memory:
                    memory.clear()
                    shape = xr.DataArray(np.zeros(members), dims=("member",))
                    value = xr.DataArray(function()).broadcast_like(shape)
                    memory[context.time] = value.transpose("member", *dims)
                return memory[context.time]

            for combination in _product(elements):
                column = f"{variable.name}[{','.join(combination)}]"
                selection = dict(zip(dims, combination, strict=True))
                readers[column] = lambda whole=whole, selection=selection: (
                    whole().sel(selection).to_numpy()
                )
        return readers

    def _subscript_scope(self, scope) -> dict:
        """The same functions, with member arrays seen as an xarray ``member`` dimension."""
        subscripted = {v.py_name for v in self.engine.variables.values() if v.subscripts}
        subscope = dict(scope)
        for name, function in self._functions.items():
            if name in subscripted:
                subscope[name] = types.FunctionType(
                    function.__code__, subscope, function.__name__, function.__defaults__
                )
            elif name in scope:
                subscope[name] = (lambda read: lambda: _as_member_array(read()))(scope[name])
        return subscope


def _state_reader(states: dict, name: str):
    return lambda: states[name]


def _product(elements: list[list[str]]) -> list[tuple[str, ...]]:
    combos: list[tuple[str, ...]] = [()]
    for options in elements:
        combos = [combo + (option,) for combo in combos for option in options]
    return combos

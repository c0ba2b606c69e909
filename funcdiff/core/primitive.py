"""``Primitive``: an operation the IR knows, with its implementation and shape/dtype rule.

Transform rules (JVP, transpose, batching) live in tables owned by each transform and are
registered right beneath the primitive's declaration in :mod:`funcdiff.lax`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .aval import ShapedArray
from .source import at_user_line

# The tracing state (its ``current`` interpreter), installed by core.tracing, which imports
# this module: ``bind`` is the hottest call of eager code, so it reads it without an import.
_state: Any = None


class ShapeError(ValueError, TypeError):
    """An operation got operands whose shapes (or axes) do not fit together.

    A ``ValueError`` as in NumPy, and a ``TypeError`` as in JAX (where a shape is part of
    an array's type), so ``except`` clauses written for either catch it.
    """


class Primitive:
    """A named operation: ``impl(xp, *arrays, **params)`` and ``abstract_eval(*avals, **params)``.

    ``bind`` hands the operation to the innermost active interpreter (evaluation, a tracer
    that records a jaxpr, JVP, batching…).

    Examples:
        >>> import funcdiff as fd
        >>> fd.lax.sin_p.name
        'sin'
    """

    def __init__(self, name: str, *, multiple_results: bool = False) -> None:
        self.name = name
        self.multiple_results = multiple_results
        self.impl: Callable[..., Any] | None = None
        self._abstract_eval: Callable[..., Any] | None = None
        # Output avals of eager calls, by (enable_x64, input avals, params): see
        # core.tracing.EvalInterpreter.process.
        self._aval_cache: dict = {}

    def def_impl(self, impl: Callable[..., Any]) -> Callable[..., Any]:
        self.impl = impl
        return impl

    def def_abstract_eval(self, rule: Callable[..., Any]) -> Callable[..., Any]:
        self._abstract_eval = rule
        self._aval_cache.clear()
        return rule

    def abstract_eval(self, *avals: ShapedArray, **params: Any) -> list[ShapedArray]:
        """Output avals (always a list); shape errors name the op and the user's line."""
        if self._abstract_eval is None:
            raise NotImplementedError(f"primitive {self.name} has no shape rule")
        try:
            out = self._abstract_eval(*avals, **params)
        except (ShapeError, TypeError, ValueError) as e:
            if getattr(e, "_fd_located", False):
                raise
            msg = f"{self.name}: {e}{at_user_line()}"
            err = type(e)(msg)
            err._fd_located = True  # type: ignore[attr-defined]
            raise err.with_traceback(e.__traceback__) from None
        return list(out) if self.multiple_results else [out]

    def bind(self, *args: Any, **params: Any) -> Any:
        outs = _state.current.process(self, args, params)
        return outs if self.multiple_results else outs[0]

    def __repr__(self) -> str:
        return self.name


def shapes_str(avals: Sequence[ShapedArray]) -> str:
    return ", ".join(a.str_short() for a in avals)

"""``Module``: a model is a pytree, frozen once ``__init__`` returns (as in equinox).

This file owns the :class:`Module` base class (how its attributes split into pytree children
and static data, freezing, ``replace``, the nested repr), :func:`tree_at` for edited copies of
any pytree, and the :class:`FrozenModuleError` raised on assignment after ``__init__``.

How a subclass works: on class creation ``__init_subclass__`` wraps the class's ``__init__``
so that when the outermost ``__init__`` returns, each attribute is classified once — arrays,
submodules and containers holding them are *children*; ints, floats, strings, functions and
other settings are *static* — and the instance is frozen; it also registers the class with
:func:`funcdiff.tree.register_pytree_with_keys`, so paths read ``.fc1.weight``. A class that
only declares annotated fields (no ``__init__``) becomes a dataclass, which writes the
``__init__``. Nothing else: no metaclass.
"""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import tree
from ..core.array import Array
from ..core.dtypes import short_name

__all__ = ["FrozenModuleError", "Module", "tree_at"]

# Bookkeeping lives in the instance __dict__ under this prefix, out of the fields.
_PREFIX = "_fd_"
_FIELDS = "_fd_fields"  # (names in order, is-child flags): set when frozen
_DEPTH = "_fd_depth"  # nesting of __init__ calls (super().__init__) while building
_MISSING = object()


class FrozenModuleError(dataclasses.FrozenInstanceError):
    """Assignment to a :class:`Module` after its ``__init__`` (an ``AttributeError``)."""


# --- which attributes are children ---------------------------------------------------------


def _is_module(x: Any) -> bool:
    return isinstance(x, Module)


def _is_dynamic(x: Any) -> bool:
    return isinstance(x, (Array, np.ndarray, Module))


def _holds_dynamic(value: Any) -> bool:
    """Whether ``value`` is, or is a container holding, an array or a submodule."""
    if _is_dynamic(value):
        return True
    try:
        leaves = tree.leaves(value, is_leaf=_is_module)
    except Exception:  # an unflattenable value (e.g. unsortable dict keys) is a setting
        return False
    return any(_is_dynamic(leaf) for leaf in leaves)


def _forced_static(cls: type) -> frozenset[str]:
    """Dataclass fields marked ``metadata={"static": True}`` (as ``tree.register_dataclass``)."""
    if not dataclasses.is_dataclass(cls):
        return frozenset()
    return frozenset(f.name for f in dataclasses.fields(cls) if f.metadata.get("static", False))


def _classify(cls: type, names: tuple[str, ...], values: list[Any]) -> tuple[bool, ...]:
    static = _forced_static(cls)
    return tuple(n not in static and _holds_dynamic(v) for n, v in zip(names, values))


def _field_names(d: dict) -> tuple[str, ...]:
    return tuple(n for n in d if not n.startswith(_PREFIX))


def _freeze(obj: Module) -> None:
    d = obj.__dict__
    names = _field_names(d)
    d[_FIELDS] = (names, _classify(type(obj), names, [d[n] for n in names]))


# --- pytree registration -------------------------------------------------------------------


class _Static:
    """Holds an unhashable static value in a treedef's aux data (equal by value)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Static) or type(self.value) is not type(other.value):
            return False
        try:
            return bool(self.value == other.value)
        except Exception:
            return self.value is other.value

    def __hash__(self) -> int:  # consistent with __eq__: equal values share a type
        return hash(type(self.value).__qualname__)

    def __repr__(self) -> str:
        return repr(self.value)


def _hashable(v: Any) -> Any:
    try:
        hash(v)
    except TypeError:
        return _Static(v)
    return v


def _flatten_with_keys(m: Module) -> tuple[list, tuple]:
    d = m.__dict__
    names, is_child = d[_FIELDS]
    keyed = [(tree.GetAttrKey(n), d[n]) for n, c in zip(names, is_child) if c]
    static = tuple(_hashable(d[n]) for n, c in zip(names, is_child) if not c)
    return keyed, (names, is_child, static)


def _flatten(m: Module) -> tuple[list, tuple]:
    # One loop, and no hash() call for the common static types: jit flattens on every call.
    d = m.__dict__
    names, is_child = d[_FIELDS]
    children, static = [], []
    for n, c in zip(names, is_child):
        if c:
            children.append(d[n])
        else:
            v = d[n]
            static.append(v if type(v) in _PLAIN else _hashable(v))
    return children, (names, is_child, tuple(static))


_PLAIN = frozenset([int, float, bool, str, type(None)])


def _make_unflatten(cls: type) -> Callable[[tuple, tuple], Module]:
    def unflatten(aux: tuple, children: tuple) -> Module:
        names, is_child, static = aux
        # Skips __init__: leaves may be tracers, gradients or placeholders.
        obj = object.__new__(cls)
        d = obj.__dict__
        if not static:  # children only (a model of submodules): in order as they are
            d.update(zip(names, children))
            d[_FIELDS] = (names, is_child)
            return obj
        i = j = 0
        for n, c in zip(names, is_child):
            if c:
                d[n] = children[i]
                i += 1
            else:
                v = static[j]
                j += 1
                d[n] = v.value if type(v) is _Static else v
        d[_FIELDS] = (names, is_child)
        return obj

    return unflatten


def _register(cls: type) -> None:
    tree.register_pytree_with_keys(cls, _flatten_with_keys, _make_unflatten(cls), _flatten)


# --- freezing ------------------------------------------------------------------------------


def _wrap_init(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
        d = self.__dict__
        depth = d.get(_DEPTH, 0)
        d[_DEPTH] = depth + 1
        try:
            init(self, *args, **kwargs)
        finally:
            d[_DEPTH] = depth
        if depth == 0:  # the outermost __init__ (a subclass's calling super().__init__)
            del d[_DEPTH]
            _freeze(self)

    __init__._fd_wraps_init = True  # type: ignore[attr-defined]
    return __init__


def _frozen_error(obj: Module, name: str, what: str) -> FrozenModuleError:
    cls = type(obj).__name__
    return FrozenModuleError(
        f"cannot {what} attribute {name!r} of {cls}: a Module is frozen once __init__ "
        f"returns (it is an immutable pytree, so grad, vmap and jit can rebuild it). Make a "
        f"modified copy instead: `model = model.replace({name}=new_value)`, or for a nested "
        f"attribute `model = fd.nn.tree_at(lambda m: m.path.to.{name}, model, new_value)`."
    )


# --- repr ----------------------------------------------------------------------------------

_INDENT = "  "


def _contains_module(v: Any) -> bool:
    if _is_module(v):
        return True
    if isinstance(v, (list, tuple, dict)):
        items = v.values() if isinstance(v, dict) else v
        return any(_contains_module(i) for i in items)
    return False


def _show(v: Any, indent: str) -> str:
    if _is_module(v):
        return v._repr(indent)
    if isinstance(v, Array):
        return v.aval.str_short()
    if isinstance(v, np.ndarray):
        return f"np.{short_name(v.dtype)}[{','.join(map(str, v.shape))}]"
    if isinstance(v, (types.FunctionType, types.BuiltinFunctionType, functools.partial)):
        return getattr(v, "__qualname__", None) or repr(v)
    if isinstance(v, (list, tuple, dict)) and _contains_module(v):
        inner = indent + _INDENT
        if isinstance(v, dict):
            items = [f"{inner}{k!r}: {_show(x, inner)}," for k, x in v.items()]
            open_, close = "{", "}"
        else:
            items = [f"{inner}{_show(x, inner)}," for x in v]
            open_, close = ("[", "]") if isinstance(v, list) else ("(", ")")
        return "\n".join([open_, *items, indent + close])
    if isinstance(v, (list, tuple)) and any(isinstance(x, (Array, np.ndarray)) for x in v):
        parts = ", ".join(_show(x, indent) for x in v)
        return f"[{parts}]" if isinstance(v, list) else f"({parts}{',' if len(v) == 1 else ''})"
    return repr(v)


# --- the base class ------------------------------------------------------------------------


class Module:
    """Base class of models: a pytree whose attributes set in ``__init__`` are its fields.

    Set attributes in ``__init__`` as usual. When ``__init__`` returns, the instance is frozen
    and each field is classified once:

    * **children** (pytree nodes that ``grad``, ``vmap``, ``jit`` and ``fd.tree.map`` see):
      arrays, submodules, and lists/tuples/dicts holding arrays or submodules;
    * **static** (part of the tree's structure, never a leaf): everything else — ints,
      floats, strings, functions, ``None``, tuples of ints… A dataclass field declared
      with ``metadata={"static": True}`` is static whatever it holds.

    So ``fd.grad(loss)(model, x)`` returns a model of the same class holding gradients, an
    optimizer's ``init(model)`` works, and paths read ``.fc1.weight``. Keep only arrays and
    modules in containers (wrap plain functions in :class:`funcdiff.nn.Lambda`): a
    container's other leaves would be pytree leaves too.

    To change a frozen module, make a copy: ``model.replace(name=value)`` or
    :func:`tree_at` for nested fields. A subclass that declares annotated fields and no
    ``__init__`` becomes a dataclass (its ``__init__`` takes the fields).

    Examples:
        >>> import funcdiff as fd
        >>> from funcdiff import nn
        >>> class MLP(nn.Module):
        ...     def __init__(self, *, key):
        ...         k1, k2 = fd.random.split(key)
        ...         self.fc1 = nn.Linear(2, 3, key=k1)
        ...         self.fc2 = nn.Linear(3, 1, key=k2)
        ...         self.activation = nn.relu
        ...     def __call__(self, x):
        ...         return self.fc2(self.activation(self.fc1(x)))
        >>> model = MLP(key=fd.random.key(0))
        >>> model
        MLP(
          fc1=Linear(in_features=2, out_features=3, weight=f32[3,2], bias=f32[3]),
          fc2=Linear(in_features=3, out_features=1, weight=f32[1,3], bias=f32[1]),
          activation=relu,
        )
        >>> [fd.tree.keystr(p) for p, _ in fd.tree.leaves_with_path(model)]
        ['.fc1.weight', '.fc1.bias', '.fc2.weight', '.fc2.bias']
        >>> grads = fd.grad(lambda m, x: m(x).sum())(model, fd.numpy.ones((4, 2)))
        >>> type(grads).__name__, grads.fc1.weight.shape
        ('MLP', (3, 2))
        >>> model.fc1 = None
        Traceback (most recent call last):
        ...
        funcdiff.nn.module.FrozenModuleError: cannot assign attribute 'fc1' of MLP: ...
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if "__init__" not in own and own.get("__annotations__"):
            dataclasses.dataclass(cls, init=True, repr=False, eq=False)  # writes __init__
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_fd_wraps_init", False):
            cls.__init__ = _wrap_init(init)  # type: ignore[method-assign]
        _register(cls)

    def __init__(self) -> None:
        """A module without fields (subclasses set theirs in their own ``__init__``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if _FIELDS in self.__dict__:
            raise _frozen_error(self, name, "assign")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if _FIELDS in self.__dict__:
            raise _frozen_error(self, name, "delete")
        object.__delattr__(self, name)

    def replace(self, **changes: Any) -> Module:
        """A copy of this module with some fields replaced (like ``dataclasses.replace``).

        The new values are classified afresh (an array replacing ``None`` becomes a child).
        ``__init__`` does not run again, so no validation happens: keep shapes consistent.

        Args:
            **changes: ``field=new_value`` pairs.

        Returns:
            A new module of the same class; ``self`` is unchanged.

        Raises:
            TypeError: if a name is not a field of this module, listing its fields.

        Examples:
            >>> import funcdiff as fd
            >>> lin = fd.nn.Linear(2, 2, key=fd.random.key(0))
            >>> lin.replace(bias=None)
            Linear(in_features=2, out_features=2, weight=f32[2,2], bias=None)
        """
        d = self.__dict__
        names, is_child = d[_FIELDS]
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.replace() got unknown field(s) {unknown}; its fields "
                f"are {list(names)}."
            )
        new = object.__new__(type(self))
        nd = new.__dict__
        for n in names:
            nd[n] = changes.get(n, d[n])
        fresh = _classify(type(self), names, [nd[n] for n in names])
        flags = tuple(f if n in changes else c for n, c, f in zip(names, is_child, fresh))
        nd[_FIELDS] = (names, flags)
        return new

    def _repr(self, indent: str) -> str:
        d = self.__dict__
        names = _field_names(d)
        name = type(self).__name__
        if not any(_contains_module(d[n]) for n in names):
            return f"{name}({', '.join(f'{n}={_show(d[n], indent)}' for n in names)})"
        inner = indent + _INDENT
        lines = [f"{inner}{n}={_show(d[n], inner)}," for n in names]
        return "\n".join([f"{name}(", *lines, f"{indent})"])

    def __repr__(self) -> str:
        return self._repr("")


Module.__init__ = _wrap_init(Module.__init__)  # type: ignore[method-assign]
_register(Module)


# --- tree_at -------------------------------------------------------------------------------


def _children_of(node: Any) -> tuple[list, Any] | None:
    """One level of ``node``: its children and a treedef to rebuild it, or None for a leaf."""
    children, treedef = tree.flatten(node, is_leaf=lambda x: x is not node)
    if treedef.num_nodes == 1 and treedef.num_leaves == 1:
        return None  # node is itself a leaf
    return children, treedef


def _rebuild(node: Any, targets: dict[int, Any], hits: dict[int, int]) -> Any:
    i = id(node)
    if i in targets:
        hits[i] += 1
        return targets[i]
    parts = _children_of(node)
    if parts is None:
        return node
    children, treedef = parts
    new = [_rebuild(c, targets, hits) for c in children]
    if all(a is b for a, b in zip(new, children)):
        return node
    return treedef.unflatten(new)


def _node_ids(root: Any) -> set[int]:
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        seen.add(id(node))
        parts = _children_of(node)
        if parts is not None:
            stack.extend(parts[0])
    return seen


def tree_at(where: Callable[[Any], Any], pytree: Any, replace: Any = _MISSING, *,
            replace_fn: Callable[[Any], Any] | None = None) -> Any:
    """A copy of ``pytree`` with the node(s) that ``where`` picks replaced (as equinox's).

    ``where(pytree)`` returns a node of the tree (a leaf, a submodule, a list…) or a tuple
    of nodes; they are found by identity. Pass either ``replace`` (the new value, or a tuple
    of values when ``where`` returns a tuple) or ``replace_fn`` (called on each old node).

    Args:
        where: a function from the tree to the node(s) to replace, e.g.
            ``lambda m: m.fc1.weight``.
        pytree: the tree (a Module, a dict…); it is not changed.
        replace: the replacement value(s).
        replace_fn: or a function of the old node giving the new one.

    Returns:
        The edited copy; untouched subtrees are shared with ``pytree``.

    Raises:
        TypeError: without exactly one of ``replace`` and ``replace_fn``.
        ValueError: if a node picked by ``where`` is not in the tree, or sits at several
            places (shared); or if ``replace`` does not match ``where``'s tuple.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> lin = fd.nn.Linear(2, 2, key=fd.random.key(0))
        >>> new = fd.nn.tree_at(lambda m: m.bias, lin, fnp.ones(2))
        >>> new.bias, lin.bias is new.bias
        (Array([1., 1.], dtype=float32), False)
        >>> fd.nn.tree_at(lambda t: t["b"][0], {"a": 1.0, "b": [2.0]}, replace_fn=str)
        {'a': 1.0, 'b': ['2.0']}
    """
    if (replace is _MISSING) == (replace_fn is None):
        raise TypeError("tree_at: pass exactly one of `replace` and `replace_fn`.")
    picked = where(pytree)
    ids = _node_ids(pytree)
    if id(picked) in ids or not isinstance(picked, (tuple, list)):
        nodes, values = [picked], [replace]
    else:
        nodes = list(picked)
        if replace is not _MISSING and (not isinstance(replace, (tuple, list))
                                        or len(replace) != len(nodes)):
            raise ValueError(
                f"tree_at: `where` picked {len(nodes)} nodes, so `replace` must be a tuple of "
                f"{len(nodes)} values; got {type(replace).__name__}."
            )
        values = list(replace) if replace is not _MISSING else [None] * len(nodes)
    for k, n in enumerate(nodes):
        if id(n) not in ids:
            raise ValueError(
                f"tree_at: node {k} picked by `where` ({type(n).__name__}) is not part of the "
                f"tree: `where` must return the tree's own nodes, e.g. `lambda m: m.fc1.weight`. "
                f"Static fields (ints, functions, None…) are not nodes: change them with "
                f"`module.replace(name=value)`."
            )
    targets = {id(n): (replace_fn(n) if replace_fn is not None else v)
               for n, v in zip(nodes, values)}
    hits = dict.fromkeys(targets, 0)
    out = _rebuild(pytree, targets, hits)
    shared = [k for k, n in enumerate(nodes) if hits[id(n)] > 1]
    if shared:
        raise ValueError(
            f"tree_at: node(s) {shared} picked by `where` appear at several places in the tree "
            f"(shared objects), so which one to replace is ambiguous; rebuild the parts "
            f"explicitly with `.replace(...)`."
        )
    return out

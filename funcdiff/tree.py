"""Pytrees: nested containers of leaves, taken apart and rebuilt, like ``jax.tree``.

This module owns the pytree registry (which types are containers, and how each comes apart and
goes back together), :class:`PyTreeDef` (a tree's structure without its leaves), the path keys
that say where a leaf sits, and the ``jax.tree`` / ``jax.tree_util`` functions built on them.
It imports nothing from funcdiff, so every layer, the core included, can use it.

Built-in nodes: ``tuple``, ``list``, ``dict`` (children in sorted key order, as in JAX),
``OrderedDict`` (insertion order), ``defaultdict`` (sorted keys; keeps its factory),
namedtuples, ``None`` (a node without children) and dataclass instances (fields whose metadata
has ``static=True`` are structure, not children). Anything else is a leaf unless registered.
Registration is by exact type, as in JAX: a subclass of a registered type is a leaf until it is
registered itself.
"""

from __future__ import annotations

import builtins
import collections
import dataclasses
import functools
import reprlib
from collections.abc import Callable, Hashable, Iterable
from typing import Any

__all__ = [
    "DictKey", "FlattenedIndexKey", "GetAttrKey", "PyTreeDef", "SequenceKey", "all",
    "flatten", "flatten_with_path", "keystr", "leaves", "leaves_with_path", "map",
    "map_with_path", "reduce", "register_dataclass", "register_pytree_node",
    "register_pytree_with_keys", "structure", "transpose", "unflatten",
]  # fmt: skip

IsLeaf = Callable[[Any], bool] | None
_UNSEEN = object()
_NO_INITIALIZER = object()


# --- path keys ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class DictKey:
    """Path entry for a mapping's child ``x[key]``.

    Examples:
        >>> DictKey("a"), str(DictKey("a"))
        (DictKey(key='a'), "['a']")
    """

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class SequenceKey:
    """Path entry for a list's or tuple's child ``x[idx]``.

    Examples:
        >>> str(SequenceKey(0))
        '[0]'
    """

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx}]"


@dataclasses.dataclass(frozen=True, slots=True)
class GetAttrKey:
    """Path entry for a namedtuple's or dataclass's field ``x.name``.

    Examples:
        >>> str(GetAttrKey("weight"))
        '.weight'
    """

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True, slots=True)
class FlattenedIndexKey:
    """Path entry for the ``key``-th child of a node registered without key names.

    Examples:
        >>> str(FlattenedIndexKey(1))
        '[<flat index 1>]'
    """

    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


KeyPath = tuple[Any, ...]


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """Renders a key path as text.

    Args:
        keys: a path, as given by :func:`flatten_with_path`.
        simple: show each key bare (``a``, ``0``, ``weight``) rather than as an accessor.
        separator: put between keys.

    Examples:
        >>> path = (DictKey("a"), SequenceKey(0), GetAttrKey("weight"))
        >>> keystr(path)
        "['a'][0].weight"
        >>> keystr(path, simple=True, separator="/")
        'a/0/weight'
    """
    if not simple:
        return separator.join([str(k) for k in keys])
    bare = {DictKey: "key", FlattenedIndexKey: "key", SequenceKey: "idx", GetAttrKey: "name"}
    return separator.join([str(getattr(k, bare[type(k)]) if type(k) in bare else k) for k in keys])


# --- node kinds and the registry ---------------------------------------------------------------


class _NodeKind:
    """How one node type comes apart and goes back together."""

    __slots__ = ("type", "flatten", "unflatten", "flatten_with_keys", "show")

    def __init__(self, type_, flatten_, unflatten_, flatten_with_keys, show) -> None:
        self.type = type_
        self.flatten = flatten_  # x -> (children, aux)
        self.unflatten = unflatten_  # (aux, list of children) -> x
        self.flatten_with_keys = flatten_with_keys  # x -> ([(key, child)], aux); None: indices
        self.show = show  # (aux, list of child reprs) -> str, for PyTreeDef's repr


_registry: dict[type, _NodeKind] = {}  # explicit registrations, one per type
# Every type seen -> its kind, or None for a leaf type. Filled lazily, so that namedtuples and
# dataclasses are inspected once per class and a leaf costs one dict lookup.
_kinds: dict[type, _NodeKind | None] = {}
_VERSION = [0]  # bumped by each registration
_SEQ_KINDS: set[_NodeKind] = set()  # kinds whose flatten is ``x -> (x, None)``


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        raise TypeError(
            f"pytree dict keys must be sortable, since a dict's children are ordered by sorted "
            f"key (as in JAX); got keys {list(d)!r}. Use keys of one comparable type (e.g. all "
            f"str), or an OrderedDict to keep insertion order."
        ) from None


def _dict_flatten(x: dict) -> tuple[list, tuple]:
    keys = _sorted_keys(x)
    return [x[k] for k in keys], keys


def _ddict_flatten(x: collections.defaultdict) -> tuple[list, tuple]:
    keys = _sorted_keys(x)
    return [x[k] for k in keys], (x.default_factory, keys)


def _odict_flatten(x: collections.OrderedDict) -> tuple[list, tuple]:
    return list(x.values()), tuple(x)


def _seq_keys(x: Any) -> tuple[list, None]:
    return [(SequenceKey(i), c) for i, c in enumerate(x)], None


def _dict_keys(flatten_: Callable, keys_of: Callable = lambda aux: aux) -> Callable:
    def flatten_with_keys(x: Any) -> tuple[list, Any]:
        children, aux = flatten_(x)
        return [(DictKey(k), c) for k, c in zip(keys_of(aux), children, strict=True)], aux

    return flatten_with_keys


def _dict_show(keys: tuple, children: list[str]) -> str:
    return "{" + ", ".join([f"{k!r}: {c}" for k, c in zip(keys, children, strict=True)]) + "}"


def _custom_show(name: str) -> Callable[[Any, list[str]], str]:
    return lambda aux, ch: f"CustomNode({name}[{aux!r}], [{', '.join(ch)}])"


_LIST = _NodeKind(
    list, lambda x: (x, None), lambda aux, ch: ch, _seq_keys,
    lambda aux, ch: "[" + ", ".join(ch) + "]",
)  # fmt: skip
_TUPLE = _NodeKind(
    tuple, lambda x: (x, None), lambda aux, ch: tuple(ch), _seq_keys,
    lambda aux, ch: "(" + ", ".join(ch) + ("," if len(ch) == 1 else "") + ")",
)  # fmt: skip
_NONE = _NodeKind(
    type(None), lambda x: ((), None), lambda aux, ch: None, lambda x: ((), None),
    lambda aux, ch: "None",
)  # fmt: skip
_DICT = _NodeKind(
    dict, _dict_flatten, lambda aux, ch: dict(zip(aux, ch, strict=True)),
    _dict_keys(_dict_flatten), _dict_show,
)  # fmt: skip
_ODICT = _NodeKind(
    collections.OrderedDict, _odict_flatten,
    lambda aux, ch: collections.OrderedDict(zip(aux, ch, strict=True)),
    _dict_keys(_odict_flatten), lambda aux, ch: f"OrderedDict({_dict_show(aux, ch)})",
)  # fmt: skip
_DDICT = _NodeKind(
    collections.defaultdict, _ddict_flatten,
    lambda aux, ch: collections.defaultdict(aux[0], zip(aux[1], ch, strict=True)),
    _dict_keys(_ddict_flatten, lambda aux: aux[1]),
    lambda aux, ch: f"defaultdict({aux[0]!r}, {_dict_show(aux[1], ch)})",
)  # fmt: skip
_MAPPINGS = (_DICT, _ODICT, _DDICT)


def _register(kind: _NodeKind) -> None:
    if kind.type in _registry:
        raise ValueError(
            f"Duplicate pytree node registration for {kind.type!r}: a type can be registered "
            f"only once."
        )
    _registry[kind.type] = kind
    _kinds[kind.type] = kind  # overrides an earlier leaf or automatic-dataclass decision
    _VERSION[0] += 1  # compiled matchers made before this registration no longer apply


for _kind in (_LIST, _TUPLE, _NONE, *_MAPPINGS):
    _register(_kind)
_SEQ_KINDS.update((_LIST, _TUPLE))


def _fields_kind(cls: type, data: tuple, meta: tuple, defaults: tuple = ()) -> _NodeKind:
    """A kind for objects of named attributes: ``data`` are children, ``meta`` aux data."""

    def flatten_(x: Any) -> tuple[list, tuple]:
        return [getattr(x, n) for n in data], tuple([getattr(x, n) for n in meta])

    def flatten_with_keys(x: Any) -> tuple[list, tuple]:
        return [(GetAttrKey(n), getattr(x, n)) for n in data], tuple([getattr(x, n) for n in meta])

    def unflatten_(aux: tuple, children: list) -> Any:
        # Skips __init__ and __post_init__: they must not rerun on leaves that may be tracers
        # or placeholders, and frozen dataclasses refuse plain setattr.
        obj = object.__new__(cls)
        for name, value in zip(data, children, strict=True):
            object.__setattr__(obj, name, value)
        for name, value in zip(meta, aux, strict=True):
            object.__setattr__(obj, name, value)
        for name, make in defaults:
            object.__setattr__(obj, name, make())
        return obj

    return _NodeKind(cls, flatten_, unflatten_, flatten_with_keys, _custom_show(cls.__name__))


def _split_fields(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    fields = dataclasses.fields(cls)
    meta = tuple(f.name for f in fields if f.metadata.get("static", False))
    return tuple(f.name for f in fields if f.name not in meta), meta


def _resolve(t: type) -> _NodeKind | None:
    """Decides, once per unregistered type, whether it is a node (namedtuple, dataclass)."""
    kind = None
    if issubclass(t, tuple) and hasattr(t, "_fields"):
        kind = _NodeKind(
            t, lambda x: (x, None), lambda aux, ch: t(*ch),
            lambda x: ([(GetAttrKey(f), c) for f, c in zip(t._fields, x, strict=True)], None),
            lambda aux, ch: f"CustomNode(namedtuple[{t.__name__}], [{', '.join(ch)}])",
        )  # fmt: skip
        _SEQ_KINDS.add(kind)
    elif dataclasses.is_dataclass(t):
        kind = _fields_kind(t, *_split_fields(t))
    _kinds[t] = kind
    return kind


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable, Any]],
    unflatten_func: Callable[[Any, tuple], Any],
    flatten_with_keys_func: Callable[[Any], tuple[Iterable, Any]] | None = None,
) -> None:
    """Makes instances of exactly ``nodetype`` pytree nodes.

    Args:
        nodetype: the class to register.
        flatten_func: ``x -> (children, aux_data)``; ``aux_data`` is hashable static structure.
        unflatten_func: ``(aux_data, children) -> x``; ``children`` comes as a tuple.
        flatten_with_keys_func: optional ``x -> ([(key, child), ...], aux_data)`` naming the
            children for :func:`flatten_with_path`; without it they get
            :class:`FlattenedIndexKey` keys.

    Raises:
        ValueError: if ``nodetype`` is already registered.

    Examples:
        >>> class Pair:
        ...     def __init__(self, a, b):
        ...         self.a, self.b = a, b
        >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda _, ch: Pair(*ch))
        >>> leaves([Pair(1, 2), 3])
        [1, 2, 3]
    """

    def unflatten_(aux: Any, children: list) -> Any:
        return unflatten_func(aux, tuple(children))

    unflatten_.takes_tuple = unflatten_func  # type: ignore[attr-defined]  # for _make_builder

    flatten_with_keys = None
    if flatten_with_keys_func is not None:

        def flatten_with_keys(x: Any) -> tuple[list, Any]:
            keyed, aux = flatten_with_keys_func(x)
            return list(keyed), aux

    show = _custom_show(nodetype.__name__)
    _register(_NodeKind(nodetype, flatten_func, unflatten_, flatten_with_keys, show))


def register_pytree_with_keys(
    nodetype: type,
    flatten_with_keys: Callable[[Any], tuple[Iterable, Any]],
    unflatten_func: Callable[[Any, tuple], Any],
    flatten_func: Callable[[Any], tuple[Iterable, Any]] | None = None,
) -> None:
    """Makes ``nodetype`` a pytree node whose children have named path keys.

    Args:
        nodetype: the class to register.
        flatten_with_keys: ``x -> ([(key, child), ...], aux_data)``.
        unflatten_func: ``(aux_data, children) -> x``.
        flatten_func: optional faster ``x -> (children, aux_data)``; derived when omitted.

    Raises:
        ValueError: if ``nodetype`` is already registered.

    Examples:
        >>> class Box:
        ...     def __init__(self, w):
        ...         self.w = w
        >>> register_pytree_with_keys(
        ...     Box, lambda b: ([(GetAttrKey("w"), b.w)], None), lambda _, ch: Box(*ch))
        >>> [keystr(p) for p, _ in leaves_with_path({"box": Box(1.0)})]
        ["['box'].w"]
    """
    if flatten_func is None:

        def flatten_func(x: Any) -> tuple[list, Any]:
            keyed, aux = flatten_with_keys(x)
            return [c for _, c in keyed], aux

    register_pytree_node(nodetype, flatten_func, unflatten_func, flatten_with_keys)


def register_dataclass(
    nodetype: type | None = None,
    data_fields: Iterable[str] | None = None,
    meta_fields: Iterable[str] | None = None,
    drop_fields: Iterable[str] = (),
) -> Any:
    """Registers a class made of named fields as a pytree node; works as a class decorator.

    Without explicit fields ``nodetype`` must be a dataclass: fields whose metadata has
    ``static=True`` become aux data (compared and hashed as structure), the others children.
    Rebuilding skips ``__init__``, so frozen dataclasses work.

    Args:
        nodetype: the class; when None, returns a decorator that takes it.
        data_fields: attribute names that are children.
        meta_fields: attribute names that are static aux data.
        drop_fields: dataclass ``__init__`` fields left out of the tree; rebuilt objects get
            their default where they have one.

    Returns:
        ``nodetype``.

    Raises:
        TypeError: if only one of ``data_fields``/``meta_fields`` is given, or neither for a
            class that is not a dataclass.
        ValueError: if the fields given miss or invent ``__init__`` fields of a dataclass, or
            the class is already registered.

    Examples:
        >>> @register_dataclass
        ... @dataclasses.dataclass(frozen=True)
        ... class Layer:
        ...     weight: float
        ...     name: str = dataclasses.field(default="l", metadata={"static": True})
        >>> flatten(Layer(2.0))
        ([2.0], PyTreeDef(CustomNode(Layer[('l',)], [*])))
        >>> map(lambda w: w * 3, Layer(2.0))
        Layer(weight=6.0, name='l')
    """
    if nodetype is None:
        return functools.partial(
            register_dataclass,
            data_fields=data_fields, meta_fields=meta_fields, drop_fields=drop_fields,
        )  # fmt: skip
    drop = tuple(drop_fields)
    fields = dataclasses.fields(nodetype) if dataclasses.is_dataclass(nodetype) else ()
    if data_fields is None and meta_fields is None:
        if not fields:
            raise TypeError(
                f"register_dataclass: cannot infer the fields of {nodetype.__name__}, which is "
                f"not a dataclass; pass data_fields=[...] and meta_fields=[...]."
            )
        data, meta = (tuple(n for n in names if n not in drop) for names in _split_fields(nodetype))
    elif data_fields is None or meta_fields is None:
        raise TypeError("register_dataclass: pass both data_fields and meta_fields, or neither.")
    else:
        data, meta = tuple(data_fields), tuple(meta_fields)
        listed = {*data, *meta, *drop}
        missing = [f.name for f in fields if f.init and f.name not in listed]
        unknown = sorted(listed - {f.name for f in fields}) if fields else []
        if missing or unknown:
            raise ValueError(
                f"register_dataclass({nodetype.__name__}): data_fields, meta_fields and "
                f"drop_fields must name every __init__ field and only fields; missing "
                f"{missing}, unknown {unknown}."
            )
    defaults = []
    for f in fields:
        if f.name in drop and f.default is not dataclasses.MISSING:
            defaults.append((f.name, lambda v=f.default: v))
        elif f.name in drop and f.default_factory is not dataclasses.MISSING:
            defaults.append((f.name, f.default_factory))
    _register(_fields_kind(nodetype, data, meta, tuple(defaults)))
    return nodetype


# --- PyTreeDef ---------------------------------------------------------------------------------


class PyTreeDef:
    """The structure of a pytree: node types, aux data and nesting, without the leaves.

    Made by :func:`flatten` / :func:`structure`. Immutable and hashable; two treedefs are equal
    when their node types, aux data (e.g. dict keys) and children are.

    Examples:
        >>> t = structure({"b": (1, 2), "a": None})
        >>> t, t.num_leaves, t.num_nodes
        (PyTreeDef({'a': None, 'b': (*, *)}), 2, 5)
        >>> t == structure({"a": None, "b": ("x", "y")}), t == structure([1, 2])
        (True, False)
        >>> t.unflatten([10, 20])
        {'a': None, 'b': (10, 20)}
    """

    __slots__ = ("_kind", "_aux", "_children", "_num_leaves", "_sig", "_compiled")

    def __init__(
        self, kind: _NodeKind | None, aux: Any, children: tuple[PyTreeDef, ...], num_leaves: int
    ) -> None:
        self._kind = kind  # None marks a leaf
        self._aux = aux
        self._children = children
        self._num_leaves = num_leaves
        self._sig: tuple | None = None
        self._compiled: dict | None = None  # see _compiled_walker

    @property
    def num_leaves(self) -> int:
        """The number of leaves."""
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """The number of nodes, leaves and ``None`` included."""
        return 1 + sum([c.num_nodes for c in self._children])

    def children(self) -> list[PyTreeDef]:
        """The treedefs of the root's children (none for a leaf or ``None``).

        Examples:
            >>> structure((1, [2, 3])).children()
            [PyTreeDef(*), PyTreeDef([*, *])]
        """
        return list(self._children)

    def node_data(self) -> tuple[type, Any] | None:
        """``(node type, aux data)`` of the root, or None for a leaf.

        Examples:
            >>> structure({"a": 1}).node_data()
            (<class 'dict'>, ('a',))
        """
        return None if self._kind is None else (self._kind.type, self._aux)

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Builds the tree of this structure holding ``leaves`` (see :func:`unflatten`).

        Examples:
            >>> structure([0, (0, 0)]).unflatten("abc")
            ['a', ('b', 'c')]
        """
        if not isinstance(leaves, list | tuple):
            leaves = list(leaves)
        if len(leaves) != self._num_leaves:
            raise ValueError(
                f"unflatten: the structure {self} has {self._num_leaves} leaves, but "
                f"{len(leaves)} leaves were given."
            )
        return _unflatten(self, iter(leaves))

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """Flattens ``tree`` down to this structure; its subtrees at leaf positions stay whole.

        Raises:
            ValueError: if this structure is not a prefix of ``tree``'s, naming where.

        Examples:
            >>> structure((0, 0)).flatten_up_to(([1, 2], {"a": 3}))
            [[1, 2], {'a': 3}]
        """
        out: list[Any] = []
        try:
            _flatten_up_to(self, tree, out)
        except _Mismatch as e:
            raise ValueError(f"tree does not match the structure {self}: {e.where()}") from None
        return out

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        return self._num_leaves == other._num_leaves and _signature(self) == _signature(other)

    def __hash__(self) -> int:
        return hash(_signature(self))

    # Immutable, and equality needs the very same node kinds, so copies are the original.
    def __copy__(self) -> PyTreeDef:
        return self

    def __deepcopy__(self, memo: dict) -> PyTreeDef:
        return self

    def __repr__(self) -> str:
        return f"PyTreeDef({_show(self)})"


def _signature(node: PyTreeDef) -> tuple | None:
    # Nested tuples of kinds, aux data and None (for leaves): hashing and comparing them runs
    # in C, with no Python call per leaf. Built once per treedef.
    if node._sig is None and node._kind is not None:
        children = [None if c is _LEAF_DEF else _signature(c) for c in node._children]
        node._sig = (node._kind, node._aux, tuple(children))
    return node._sig


def _show(node: PyTreeDef) -> str:
    if node._kind is None:
        return "*"
    return node._kind.show(node._aux, [_show(c) for c in node._children])


_LEAF_DEF = PyTreeDef(None, None, (), 1)  # the one leaf treedef: walkers test `is _LEAF_DEF`
_NONE_DEF = PyTreeDef(_NONE, None, (), 0)


# --- the walkers -------------------------------------------------------------------------------


def _children(kind: _NodeKind, x: Any) -> tuple[Any, Any]:
    if kind is _LIST or kind is _TUPLE:
        return x, None
    if kind is _DICT:
        try:
            keys = tuple(sorted(x))
        except TypeError:
            keys = _sorted_keys(x)  # raises the explanatory error
        return [x[k] for k in keys], keys
    return kind.flatten(x)


def _flatten(x: Any, leaves: list, is_leaf: IsLeaf) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF_DEF
    t = type(x)
    kind = _kinds.get(t, _UNSEEN)
    if kind is _UNSEEN:
        kind = _resolve(t)
    if kind is None:
        leaves.append(x)
        return _LEAF_DEF
    if kind is _NONE:
        return _NONE_DEF
    children, aux = _children(kind, x)
    start = len(leaves)
    defs = []
    for c in children:
        # Most children are leaves: settle them here rather than pay a call for each.
        if is_leaf is None and _kinds.get(type(c), _UNSEEN) is None:
            leaves.append(c)
            defs.append(_LEAF_DEF)
        else:
            defs.append(_flatten(c, leaves, is_leaf))
    return PyTreeDef(kind, aux, tuple(defs), len(leaves) - start)


def _leaves(x: Any, out: list, is_leaf: IsLeaf) -> None:
    # _flatten without building treedefs, since leaves() is the most frequent call.
    if is_leaf is not None and is_leaf(x):
        out.append(x)
        return
    t = type(x)
    kind = _kinds.get(t, _UNSEEN)
    if kind is _UNSEEN:
        kind = _resolve(t)
    if kind is None:
        out.append(x)
        return
    for c in _children(kind, x)[0]:
        if is_leaf is None and _kinds.get(type(c), _UNSEEN) is None:
            out.append(c)
        else:
            _leaves(c, out, is_leaf)


def _unflatten(node: PyTreeDef, leaves: Any) -> Any:
    if node is _LEAF_DEF:
        return next(leaves)
    children = [next(leaves) if c is _LEAF_DEF else _unflatten(c, leaves) for c in node._children]
    return node._kind.unflatten(node._aux, children)


def _keyed_children(kind: _NodeKind, x: Any) -> tuple[list, Any]:
    if kind.flatten_with_keys is not None:
        return kind.flatten_with_keys(x)
    children, aux = kind.flatten(x)
    return [(FlattenedIndexKey(i), c) for i, c in enumerate(children)], aux


def _flatten_with_path(x: Any, path: KeyPath, out: list, is_leaf: IsLeaf) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        out.append((path, x))
        return _LEAF_DEF
    t = type(x)
    kind = _kinds.get(t, _UNSEEN)
    if kind is _UNSEEN:
        kind = _resolve(t)
    if kind is None:
        out.append((path, x))
        return _LEAF_DEF
    keyed, aux = _keyed_children(kind, x)
    start = len(out)
    defs = tuple([_flatten_with_path(c, (*path, k), out, is_leaf) for k, c in keyed])
    return PyTreeDef(kind, aux, defs, len(out) - start)


# --- compiled walkers: straight-line code for one structure ----------------------------------
# A function called again and again on trees of one structure (jit's calls) pays for walking
# the registry at each node. For one treedef these are generated once as flat Python code.

_MAX_COMPILED_NODES = 2000  # larger trees keep the generic walkers (long code, deep nesting)
_MAX_COMPILED_DEPTH = 40  # the builder nests one expression per level


def _depth(node: PyTreeDef) -> int:
    return 1 + max([_depth(c) for c in node._children], default=0)


def _compilable(node: PyTreeDef) -> bool:
    return node.num_nodes <= _MAX_COMPILED_NODES and _depth(node) <= _MAX_COMPILED_DEPTH


def _compiled_walker(node: PyTreeDef, what: str, make: Callable[[PyTreeDef], Any]) -> Any:
    """``make(node)`` (None for a tree too large to compile), made once per treedef."""
    cache = node._compiled
    if cache is None:
        cache = node._compiled = {}
    fn = cache.get(what, _UNSEEN)
    if fn is _UNSEEN:
        fn = cache[what] = make(node) if _compilable(node) else None
    return fn


def _make_matcher(treedef: PyTreeDef) -> Callable[[Any], list | None]:
    env: dict[str, Any] = {"_VERSION": _VERSION}
    lines = [f"if _VERSION[0] != {_VERSION[0]}: return None"]
    leaves: list[str] = []
    names = iter(range(1 << 30))

    def const(value: Any) -> str:
        name = f"k{next(names)}"
        env[name] = value
        return name

    def visit(node: PyTreeDef, var: str) -> None:
        kind, n = node._kind, len(node._children)
        if kind is None:
            leaves.append(var)
            return
        if kind is _NONE:
            lines.append(f"if {var} is not None: return None")
            return
        t = const(kind.type)
        if kind in _SEQ_KINDS:
            lines.append(f"if type({var}) is not {t} or len({var}) != {n}: return None")
            children = [f"{var}[{i}]" for i in range(n)]
        elif kind is _DICT:
            # n distinct keys of the treedef found in a dict of n keys: the same keys.
            lines.append(f"if type({var}) is not {t} or len({var}) != {n}: return None")
            children = [f"{var}[{const(k)}]" for k in node._aux]
        else:
            c, a = f"c{next(names)}", f"a{next(names)}"
            lines.extend([
                f"if type({var}) is not {t}: return None",
                f"{c}, {a} = {const(kind.flatten)}({var})",
                f"if not ({a} == {const(node._aux)}): return None",
                f"if type({c}) is not list and type({c}) is not tuple: {c} = list({c})",
                f"if len({c}) != {n}: return None",
            ])  # fmt: skip
            children = [f"{c}[{i}]" for i in range(n)]
        for child, expr in zip(node._children, children, strict=True):
            if child is _LEAF_DEF:
                leaves.append(expr)
            else:
                v = f"v{next(names)}"
                lines.append(f"{v} = {expr}")
                visit(child, v)

    visit(treedef, "x")
    # A flatten function that raises makes a mismatch: the generic walk raises it again.
    body = "".join(f"        {line}\n" for line in lines)
    src = (f"def match(x):\n    try:\n{body}        return [{', '.join(leaves)}]\n"
           "    except Exception:\n        return None\n")
    return _exec(src, "match", env)


def _make_builder(
    treedef: PyTreeDef, leaf: Callable[[int], str] = "l[{}]".format, env: dict | None = None
) -> Callable[[Any], Any]:
    """The builder's code, each leaf read by the expression ``leaf(i)`` (names it uses are
    given in ``env``)."""
    env = dict(env or {})
    count = iter(range(1 << 30))
    index = iter(range(treedef.num_leaves))

    def const(value: Any) -> str:
        name = f"k{next(count)}"
        env[name] = value
        return name

    def expr(node: PyTreeDef) -> str:
        kind = node._kind
        if kind is None:
            return leaf(next(index))
        if kind is _NONE:
            return "None"
        ch = [expr(c) for c in node._children]
        if kind is _LIST:
            return f"[{', '.join(ch)}]"
        if kind is _TUPLE:
            return f"({', '.join(ch)}{',' if len(ch) == 1 else ''})"
        if kind is _DICT:
            items = [f"{const(k)}: {c}" for k, c in zip(node._aux, ch, strict=True)]
            return "{" + ", ".join(items) + "}"
        if kind in _SEQ_KINDS:  # a namedtuple
            return f"{const(kind.type)}({', '.join(ch)})"
        raw = getattr(kind.unflatten, "takes_tuple", None)
        if raw is not None:  # a registered function: give it the tuple it takes
            return f"{const(raw)}({const(node._aux)}, ({', '.join(ch)}{',' if ch else ''}))"
        return f"{const(kind.unflatten)}({const(node._aux)}, [{', '.join(ch)}])"

    return _exec(f"def build(l):\n    return {expr(treedef)}\n", "build", env)


def _exec(src: str, name: str, env: dict) -> Callable:
    code = compile(src, f"<pytree {name}>", "exec")
    exec(code, env)  # noqa: S102  # our own generated source, from a treedef
    return env[name]


def _matcher(treedef: PyTreeDef) -> Callable[[Any], list | None] | None:
    """A function flattening a tree of exactly ``treedef``'s structure to its leaves, and
    returning None for any other tree (then use :func:`flatten`); None for a tree too large
    to compile. Nodes are checked; the leaves are not (a caller that wants only leaves of
    some type checks them)."""
    made = _compiled_walker(treedef, "match", lambda t: [_VERSION[0], _make_matcher(t)])
    if made is None:
        return None
    if made[0] != _VERSION[0]:  # made before a registration, which may change its walk
        made[:] = [_VERSION[0], _make_matcher(treedef)]
    return made[1]


def _builder(treedef: PyTreeDef) -> Callable[[Any], Any]:
    """A function building the tree of ``treedef`` from a sequence of exactly
    ``num_leaves`` leaves (like :meth:`PyTreeDef.unflatten`, without its checks)."""
    b = _compiled_walker(treedef, "build", _make_builder)
    return b if b is not None else lambda leaves: _unflatten(treedef, iter(leaves))


class _Mismatch(ValueError):
    """Raised inside _flatten_up_to; gathers the path on its way out."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.path: list[Any] = []

    def where(self) -> str:
        return f"at {keystr(tuple(self.path)) or 'the root'}, {self.detail}"


def _flatten_up_to(node: PyTreeDef, x: Any, out: list) -> None:
    kind = node._kind
    if kind is None:
        out.append(x)
        return
    name = "None" if kind is _NONE else kind.type.__name__
    if type(x) is not kind.type:
        raise _Mismatch(f"expected {name}, got {type(x).__name__} {reprlib.repr(x)}")
    children, aux = _children(kind, x)
    if type(children) is not list and type(children) is not tuple:
        children = list(children)  # a registered flatten may return any iterable
    if aux != node._aux:
        what = "keys" if kind in _MAPPINGS else "aux data"
        raise _Mismatch(f"{name} {what} differ: expected {node._aux!r}, got {aux!r}")
    if len(children) != len(node._children):
        raise _Mismatch(f"expected {name} of {len(node._children)} children, got {len(children)}")
    for i, (c, d) in enumerate(zip(children, node._children, strict=True)):
        if d is _LEAF_DEF:
            out.append(c)
            continue
        try:
            _flatten_up_to(d, c, out)
        except _Mismatch as e:
            e.path.insert(0, _keyed_children(kind, x)[0][i][0])
            raise


# --- public functions --------------------------------------------------------------------------


def flatten(tree: Any, is_leaf: IsLeaf = None) -> tuple[list[Any], PyTreeDef]:
    """Splits a pytree into its leaves (depth first, dicts by sorted key) and its structure.

    Args:
        tree: the pytree.
        is_leaf: optional predicate; a subtree for which it returns True is kept as one leaf.

    Returns:
        ``(leaves, treedef)``.

    Examples:
        >>> flatten({"b": [1, 2], "a": None})
        ([1, 2], PyTreeDef({'a': None, 'b': [*, *]}))
        >>> flatten([(1, 2), 3], is_leaf=lambda x: isinstance(x, tuple))[0]
        [(1, 2), 3]
    """
    leaves_: list[Any] = []
    return leaves_, _flatten(tree, leaves_, is_leaf)


def unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Builds a pytree of structure ``treedef`` holding ``leaves``: the inverse of flatten.

    Raises:
        ValueError: if the number of leaves is not ``treedef.num_leaves``.

    Examples:
        >>> vals, treedef = flatten({"a": 1, "b": (2, 3)})
        >>> unflatten(treedef, [v * 10 for v in vals])
        {'a': 10, 'b': (20, 30)}
    """
    return treedef.unflatten(leaves)


def leaves(tree: Any, is_leaf: IsLeaf = None) -> list[Any]:
    """The leaves of a pytree, in :func:`flatten` order.

    Examples:
        >>> leaves([1, {"b": 2, "a": (3, None)}])
        [1, 3, 2]
    """
    out: list[Any] = []
    _leaves(tree, out, is_leaf)
    return out


def structure(tree: Any, is_leaf: IsLeaf = None) -> PyTreeDef:
    """The :class:`PyTreeDef` of a pytree.

    Examples:
        >>> structure((1, [2, 3]))
        PyTreeDef((*, [*, *]))
    """
    return _flatten(tree, [], is_leaf)


def _flatten_rest(treedef: PyTreeDef, rest: tuple) -> list[list[Any]]:
    flat = []
    for i, r in enumerate(rest, start=2):
        out: list[Any] = []
        try:
            _flatten_up_to(treedef, r, out)
        except _Mismatch as e:
            try:
                got = repr(structure(r))
            except Exception:  # an unflattenable tree must not hide the mismatch
                got = f"{type(r).__name__} {reprlib.repr(r)}"
            raise ValueError(
                f"tree {i} does not match the structure of the first tree: {e.where()}.\n"
                f"  tree 1: {treedef}\n  tree {i}: {got}"
            ) from None
        flat.append(out)
    return flat


def map(f: Callable[..., Any], tree: Any, *rest: Any, is_leaf: IsLeaf = None) -> Any:
    """Applies ``f`` to the leaves of ``tree`` (and to the matching parts of ``rest``).

    Args:
        f: called as ``f(leaf, *rest_leaves)``.
        tree: the pytree whose structure the result has.
        *rest: trees of ``tree``'s structure, or with ``tree``'s structure as a prefix: then
            ``f`` gets their whole subtree found at each leaf position of ``tree``.
        is_leaf: as in :func:`flatten`, applied to ``tree`` only.

    Returns:
        A pytree of ``tree``'s structure holding ``f``'s results.

    Raises:
        ValueError: if a tree in ``rest`` does not match ``tree``; names both structures.

    Examples:
        >>> map(lambda x: x + 1, {"a": 1, "b": (2, None)})
        {'a': 2, 'b': (3, None)}
        >>> map(lambda x, y: x * y, [1, 2], [10, 20])
        [10, 40]
        >>> map(lambda x, y: (x, y), (1, 2), ([3], {"c": 4}))
        ((1, [3]), (2, {'c': 4}))
    """
    leaves_: list[Any] = []
    treedef = _flatten(tree, leaves_, is_leaf)
    if not rest:
        return _unflatten(treedef, iter([f(x) for x in leaves_]))
    flat = _flatten_rest(treedef, rest)
    return _unflatten(treedef, iter([f(*xs) for xs in zip(leaves_, *flat, strict=True)]))


def reduce(
    function: Callable[[Any, Any], Any],
    tree: Any,
    initializer: Any = _NO_INITIALIZER,
    is_leaf: IsLeaf = None,
) -> Any:
    """Folds ``function`` over the leaves of ``tree``, like :func:`functools.reduce`.

    Examples:
        >>> reduce(lambda a, b: a + b, {"a": 1, "b": [2, 3]})
        6
        >>> reduce(max, [], initializer=-1)
        -1
    """
    if initializer is _NO_INITIALIZER:
        return functools.reduce(function, leaves(tree, is_leaf))
    return functools.reduce(function, leaves(tree, is_leaf), initializer)


def all(tree: Any, *, is_leaf: IsLeaf = None) -> bool:
    """Whether every leaf of ``tree`` is truthy (True for a tree without leaves).

    Examples:
        >>> all([True, {"a": 1}]), all((True, 0)), all(None)
        (True, False, True)
    """
    return builtins.all(leaves(tree, is_leaf))


def transpose(
    outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, pytree_to_transpose: Any
) -> Any:
    """Turns an outer tree of inner trees into an inner tree of outer trees.

    Args:
        outer_treedef: the outer structure.
        inner_treedef: the structure of every inner tree; None takes the first one's.
        pytree_to_transpose: a tree of structure ``outer_treedef`` whose leaves have
            ``inner_treedef``.

    Raises:
        ValueError: if ``pytree`` does not have these structures.

    Examples:
        >>> transpose(structure([0, 0]), structure((0, 0)), [(1, 2), (3, 4)])
        ([1, 3], [2, 4])
    """
    inners = outer_treedef.flatten_up_to(pytree_to_transpose)
    if inner_treedef is None:
        inner_treedef = structure(inners[0]) if inners else _LEAF_DEF
    columns: list[list[Any]] = [[] for _ in range(inner_treedef.num_leaves)]
    for inner in inners:
        vals, treedef = flatten(inner)
        if treedef != inner_treedef:
            raise ValueError(
                f"transpose: an inner tree has structure {treedef}, expected {inner_treedef}."
            )
        for column, v in zip(columns, vals, strict=True):
            column.append(v)
    return inner_treedef.unflatten([outer_treedef.unflatten(c) for c in columns])


def flatten_with_path(tree: Any, is_leaf: IsLeaf = None) -> tuple[list[tuple], PyTreeDef]:
    """Like :func:`flatten`, but each leaf comes as ``(path, leaf)``; a path is a key tuple.

    Examples:
        >>> flatten_with_path({"a": [1]})
        ([((DictKey(key='a'), SequenceKey(idx=0)), 1)], PyTreeDef({'a': [*]}))
    """
    out: list[tuple] = []
    return out, _flatten_with_path(tree, (), out, is_leaf)


def leaves_with_path(tree: Any, is_leaf: IsLeaf = None) -> list[tuple]:
    """The ``(path, leaf)`` pairs of :func:`flatten_with_path`.

    Examples:
        >>> [(keystr(p), x) for p, x in leaves_with_path((1, {"k": 2}))]
        [('[0]', 1), ("[1]['k']", 2)]
    """
    return flatten_with_path(tree, is_leaf)[0]


def map_with_path(f: Callable[..., Any], tree: Any, *rest: Any, is_leaf: IsLeaf = None) -> Any:
    """Like :func:`map`, but ``f`` is called as ``f(path, leaf, *rest_leaves)``.

    Examples:
        >>> map_with_path(lambda p, x: f"{keystr(p)}={x}", {"a": 1, "b": [2]})
        {'a': "['a']=1", 'b': ["['b'][0]=2"]}
    """
    pairs, treedef = flatten_with_path(tree, is_leaf)
    flat = _flatten_rest(treedef, rest)
    results = [f(p, x, *xs) for (p, x), *xs in zip(pairs, *flat, strict=True)]
    return _unflatten(treedef, iter(results))

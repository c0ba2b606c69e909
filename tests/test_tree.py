"""Tests for funcdiff.tree: flatten/unflatten round trips, registration, paths and errors."""

import collections
import dataclasses
from typing import NamedTuple

import pytest

from funcdiff import tree


class Point(NamedTuple):
    x: object
    y: object


@dataclasses.dataclass
class Plain:
    a: object
    b: object
    tag: str = dataclasses.field(default="t", metadata={"static": True})


@dataclasses.dataclass(frozen=True)
class Frozen:
    w: object
    b: object


class Registered:
    def __init__(self, left, right, label):
        self.left, self.right, self.label = left, right, label

    def __eq__(self, other):
        return type(other) is Registered and vars(self) == vars(other)


tree.register_pytree_node(
    Registered,
    lambda r: ((r.left, r.right), r.label),
    lambda label, children: Registered(*children, label),
)


def round_trip(x, **kw):
    leaves, treedef = tree.flatten(x, **kw)
    assert treedef.num_leaves == len(leaves)
    assert tree.leaves(x, **kw) == leaves
    assert tree.structure(x, **kw) == treedef
    back = tree.unflatten(treedef, leaves)
    assert type(back) is type(x)
    assert back == x
    return leaves, treedef


NESTED = {
    "list": [1, (2, 3), []],
    "tuple": (4,),
    "dict": {"z": 5, "a": {"q": [6]}},
    "none": None,
    "od": collections.OrderedDict([("b", 7), ("a", 8)]),
    "dd": collections.defaultdict(list, {"y": 9, "x": 10}),
    "point": Point(11, [12]),
    "plain": Plain(13, (14,), tag="s"),
    "frozen": Frozen(15, {"k": 16}),
    "registered": Registered(17, [18], "lbl"),
    "string": "leaf",
}


@pytest.mark.parametrize("key", sorted(NESTED))
def test_round_trip_each_node_type(key):
    round_trip(NESTED[key])
    round_trip([NESTED[key], {"wrapped": (NESTED[key],)}])


def test_round_trip_nested_mix_keeps_types_and_order():
    leaves, treedef = round_trip(NESTED)
    # dicts and defaultdicts by sorted key, OrderedDict by insertion order
    assert leaves == [10, 9, 6, 5, 15, 16, 1, 2, 3, 7, 8, 13, 14, 11, 12, 17, 18, "leaf", 4]
    back = treedef.unflatten(leaves)
    assert list(back["od"]) == ["b", "a"]
    assert back["dd"].default_factory is list
    assert isinstance(back["point"], Point) and back["point"].y == [12]
    assert back["plain"].tag == "s"
    assert back["registered"].label == "lbl"


def test_dict_children_sorted_and_unsortable_keys():
    assert tree.leaves({"b": 1, "a": 2, "c": 3}) == [2, 1, 3]
    assert tree.structure({"b": 1, "a": 2}) == tree.structure({"a": 0, "b": 0})
    with pytest.raises(TypeError, match="dict keys must be sortable"):
        tree.flatten({1: "x", "a": "y"})


def test_none_is_an_empty_node():
    assert tree.leaves(None) == []
    assert tree.leaves([None, 1, (None,)]) == [1]
    leaves, treedef = tree.flatten({"a": None, "b": 2})
    assert leaves == [2]
    assert treedef.unflatten([3]) == {"a": None, "b": 3}
    assert tree.map(lambda x: x + 1, [None, 1]) == [None, 2]
    assert tree.leaves([None, 1], is_leaf=lambda x: x is None) == [None, 1]


def test_is_leaf_stops_recursion():
    x = {"a": (1, 2), "b": [(3, 4)]}
    is_pair = lambda v: isinstance(v, tuple)
    assert tree.leaves(x, is_leaf=is_pair) == [(1, 2), (3, 4)]
    out = tree.map(lambda p: p[0] + p[1], x, is_leaf=is_pair)
    assert out == {"a": 3, "b": [7]}
    assert tree.flatten(x, is_leaf=lambda v: v is x)[0] == [x]


def test_namedtuple_dataclass_frozen_registered_rebuilt_with_same_type():
    p = tree.map(lambda v: v * 2, Point(1, 2))
    assert type(p) is Point and p == Point(2, 4)

    d = tree.map(lambda v: v * 2, Plain(1, 2, tag="keep"))
    assert type(d) is Plain and (d.a, d.b, d.tag) == (2, 4, "keep")

    f = tree.map(str, Frozen(1, 2))
    assert type(f) is Frozen and f == Frozen("1", "2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.w = 0

    r = tree.map(lambda v: -v, Registered(1, 2, "x"))
    assert r == Registered(-1, -2, "x")


def test_dataclass_static_fields_are_structure():
    assert tree.leaves(Plain(1, 2, tag="s")) == [1, 2]
    assert tree.structure(Plain(1, 2, tag="s")) != tree.structure(Plain(1, 2, tag="u"))
    assert tree.structure(Plain(1, 2, tag="s")) == tree.structure(Plain(3, 4, tag="s"))


def test_unflatten_does_not_call_init():
    @dataclasses.dataclass
    class Checked:
        v: object

        def __post_init__(self):
            if not isinstance(self.v, int):
                raise TypeError("v must be an int")

    out = tree.map(str, Checked(1))
    assert out.v == "1"


def test_map_several_trees_and_prefix():
    assert tree.map(lambda a, b, c: a + b + c, [1, (2,)], [10, (20,)], [100, (200,)]) == [
        111,
        (222,),
    ]
    # the first tree may be a prefix: the others' subtrees arrive whole
    out = tree.map(lambda a, b: (a, b), {"x": 1, "y": 2}, {"x": [3, 4], "y": {"z": 5}})
    assert out == {"x": (1, [3, 4]), "y": (2, {"z": 5})}


def test_map_mismatch_names_both_structures():
    both = r"(?s)tree 1: PyTreeDef\(\[\*, \*\]\).*tree 2: PyTreeDef\(\[\*, \*, \*\]\)"
    with pytest.raises(ValueError, match=both):
        tree.map(lambda a, b: a, [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"expected list, got tuple"):
        tree.map(lambda a, b: a, [1, 2], (1, 2))
    with pytest.raises(ValueError, match=r"tree 2 .*: at \['a'\]\[1\], expected tuple, got int"):
        tree.map(lambda a, b: a, {"a": [1, (2,)]}, {"a": [1, 2]})
    with pytest.raises(ValueError, match=r"dict keys differ: expected \('a',\), got \('b',\)"):
        tree.map(lambda a, b: a, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match=r"tree 3 .*: at the root, expected None, got int 0"):
        tree.map(lambda *a: a, None, None, 0)
    with pytest.raises(ValueError, match=r"aux data differ"):
        tree.map(lambda a, b: a, Registered(1, 2, "x"), Registered(1, 2, "y"))


def test_reduce_and_all():
    assert tree.reduce(lambda a, b: a + b, {"a": 1, "b": [2, 3]}) == 6
    assert tree.reduce(lambda a, b: a + b, {"a": 1}, 10) == 11
    assert tree.reduce(lambda a, b: a + b, [], initializer=0) == 0
    with pytest.raises(TypeError):
        tree.reduce(lambda a, b: a + b, [])
    assert tree.reduce(max, [(1, 2)], is_leaf=lambda x: isinstance(x, tuple)) == (1, 2)
    assert tree.all([True, {"a": 1}]) and not tree.all([1, (0,)]) and tree.all([])


def test_paths_and_keystr():
    x = {"a": [Point(1, 2)], "b": Frozen(3, None), "c": Registered(4, 5, "r")}
    pairs, treedef = tree.flatten_with_path(x)
    assert treedef == tree.structure(x)
    assert [v for _, v in pairs] == tree.leaves(x)
    assert [tree.keystr(p) for p, _ in pairs] == [
        "['a'][0].x",
        "['a'][0].y",
        "['b'].w",
        "['c'][<flat index 0>]",
        "['c'][<flat index 1>]",
    ]
    assert pairs[0][0] == (tree.DictKey("a"), tree.SequenceKey(0), tree.GetAttrKey("x"))
    assert pairs[3][0][-1] == tree.FlattenedIndexKey(0)
    assert tree.keystr(pairs[0][0], simple=True, separator="/") == "a/0/x"
    assert tree.leaves_with_path([7]) == [((tree.SequenceKey(0),), 7)]
    od = collections.OrderedDict([("z", 1)])
    assert tree.leaves_with_path(od)[0][0] == (tree.DictKey("z"),)
    dd = collections.defaultdict(int, {"k": 1})
    assert tree.leaves_with_path(dd)[0][0] == (tree.DictKey("k"),)


def test_key_classes_are_frozen_and_hashable():
    k = tree.DictKey("a")
    assert hash(k) == hash(tree.DictKey("a")) and str(k) == "['a']"
    assert str(tree.SequenceKey(3)) == "[3]" and str(tree.GetAttrKey("weight")) == ".weight"
    with pytest.raises(dataclasses.FrozenInstanceError):
        k.key = "b"


def test_map_with_path():
    out = tree.map_with_path(lambda p, a, b: (tree.keystr(p), a + b), {"a": [1]}, {"a": [2]})
    assert out == {"a": [("['a'][0]", 3)]}
    with pytest.raises(ValueError, match="tree 2 does not match the structure of the first tree"):
        tree.map_with_path(lambda p, a, b: a, [1], [1, 2])


def test_treedef_equality_hash_repr_counts():
    t1 = tree.structure({"b": (1, 2), "a": [3]})
    t2 = tree.structure({"a": ["x"], "b": ("y", "z")})
    assert t1 == t2 and hash(t1) == hash(t2)
    assert len({t1, t2}) == 1
    assert t1 != tree.structure({"a": ("x",), "b": ("y", "z")})
    assert t1 != tree.structure({"a": [0], "c": (0, 0)})
    assert t1 != tree.structure([1, 2, 3]) and t1 != "not a treedef"
    assert repr(t1) == "PyTreeDef({'a': [*], 'b': (*, *)})"
    assert t1.num_leaves == 3 and t1.num_nodes == 6
    assert [repr(c) for c in t1.children()] == ["PyTreeDef([*])", "PyTreeDef((*, *))"]
    assert repr(tree.structure(None)) == "PyTreeDef(None)"
    assert repr(tree.structure(5)) == "PyTreeDef(*)"
    assert repr(tree.structure((1,))) == "PyTreeDef((*,))"
    assert repr(tree.structure(Point(1, 2))) == "PyTreeDef(CustomNode(namedtuple[Point], [*, *]))"
    assert repr(tree.structure(Registered(1, 2, "l"))) == (
        "PyTreeDef(CustomNode(Registered['l'], [*, *]))"
    )
    assert tree.structure(Point(1, 2)) != tree.structure((1, 2))
    assert tree.structure([]) != tree.structure(())


def test_treedef_copies_stay_equal():
    import copy

    treedef = tree.structure({"a": [1, Point(2, 3)], "b": Plain(4, 5)})
    assert copy.copy(treedef) == treedef and copy.deepcopy(treedef) == treedef
    assert copy.deepcopy({"t": treedef})["t"] == treedef


def test_registered_flatten_may_return_any_iterable():
    class Gen:
        def __init__(self, *items):
            self.items = items

    tree.register_pytree_node(Gen, lambda g: (iter(g.items), len(g.items)), lambda n, ch: Gen(*ch))
    out = tree.map(lambda a, b: a + b, Gen(1, 2), Gen(10, 20))
    assert type(out) is Gen and out.items == (11, 22)
    assert tree.leaves_with_path(Gen(7))[0] == ((tree.FlattenedIndexKey(0),), 7)


def test_unflatten_wrong_count():
    treedef = tree.structure([1, (2, 3)])
    with pytest.raises(ValueError, match="has 3 leaves, but 2 leaves were given"):
        tree.unflatten(treedef, [1, 2])
    assert tree.unflatten(treedef, iter([4, 5, 6])) == [4, (5, 6)]


def test_double_registration_raises():
    class Once:
        pass

    tree.register_pytree_node(Once, lambda o: ((), None), lambda aux, ch: Once())
    with pytest.raises(ValueError, match="Duplicate pytree node registration"):
        tree.register_pytree_node(Once, lambda o: ((), None), lambda aux, ch: Once())
    with pytest.raises(ValueError, match="Duplicate"):
        tree.register_pytree_node(list, lambda o: ((), None), lambda aux, ch: [])


def test_registration_overrides_earlier_leaf_decision():
    class Late:
        def __init__(self, v):
            self.v = v

    assert tree.leaves(Late(1)) != [1]  # a leaf before registration
    tree.register_pytree_node(Late, lambda o: ((o.v,), None), lambda aux, ch: Late(*ch))
    assert tree.leaves(Late(1)) == [1]


def test_register_pytree_with_keys():
    class Box:
        def __init__(self, w, b):
            self.w, self.b = w, b

    tree.register_pytree_with_keys(
        Box,
        lambda x: (((tree.GetAttrKey("w"), x.w), (tree.GetAttrKey("b"), x.b)), None),
        lambda aux, ch: Box(*ch),
    )
    pairs, _ = tree.flatten_with_path([Box(1, 2)])
    assert [tree.keystr(p) for p, _ in pairs] == ["[0].w", "[0].b"]
    out = tree.map(lambda v: v + 1, Box(1, 2))
    assert type(out) is Box and (out.w, out.b) == (2, 3)


def test_register_dataclass_decorator_infers_fields():
    @tree.register_dataclass
    @dataclasses.dataclass(frozen=True)
    class Layer:
        weight: object
        bias: object
        act: str = dataclasses.field(default="relu", metadata={"static": True})

    layer = Layer(1.0, 2.0)
    leaves, treedef = tree.flatten(layer)
    assert leaves == [1.0, 2.0]
    assert treedef.node_data() == (Layer, ("relu",))
    out = treedef.unflatten([3.0, 4.0])
    assert type(out) is Layer and out == Layer(3.0, 4.0, "relu")
    with pytest.raises(ValueError, match="Duplicate"):
        tree.register_dataclass(Layer)


def test_register_dataclass_explicit_fields_and_drop():
    @dataclasses.dataclass
    class Opt:
        lr: float
        step: int
        cache: dict = dataclasses.field(default_factory=dict)

    assert tree.register_dataclass(Opt, ["step"], ["lr"], drop_fields=["cache"]) is Opt
    leaves, treedef = tree.flatten(Opt(0.1, 5, {"x": 1}))
    assert leaves == [5] and treedef.node_data() == (Opt, (0.1,))
    out = treedef.unflatten([6])
    assert (out.lr, out.step, out.cache) == (0.1, 6, {})

    @tree.register_dataclass(data_fields=["v"], meta_fields=[])
    class NotDC:
        def __init__(self, v):
            self.v = v

    assert tree.map(lambda v: v * 2, NotDC(2)).v == 4


def test_register_dataclass_errors():
    @dataclasses.dataclass
    class Two:
        a: int
        b: int

    with pytest.raises(ValueError, match=r"missing \['b'\], unknown \['zzz'\]"):
        tree.register_dataclass(Two, ["a"], ["zzz"])
    with pytest.raises(TypeError, match="both data_fields and meta_fields"):
        tree.register_dataclass(Two, ["a", "b"])

    class NotDC:
        pass

    with pytest.raises(TypeError, match="not a dataclass"):
        tree.register_dataclass(NotDC)


def test_flatten_up_to_and_transpose():
    treedef = tree.structure((0, 0))
    assert treedef.flatten_up_to(([1], {"a": 2})) == [[1], {"a": 2}]
    with pytest.raises(ValueError, match=r"expected tuple of 2 children, got 3"):
        treedef.flatten_up_to((1, 2, 3))

    outer, inner = tree.structure([0, 0, 0]), tree.structure({"a": 0, "b": 0})
    x = [{"a": i, "b": -i} for i in range(3)]
    assert tree.transpose(outer, inner, x) == {"a": [0, 1, 2], "b": [0, -1, -2]}
    assert tree.transpose(outer, None, x) == {"a": [0, 1, 2], "b": [0, -1, -2]}
    with pytest.raises(ValueError, match="inner tree has structure"):
        tree.transpose(outer, inner, [{"a": 0, "b": 0}, {"a": 0}, {"a": 0, "b": 0}])


def test_subclass_of_tuple_without_fields_is_a_leaf():
    class MyTuple(tuple):
        pass

    t = MyTuple((1, 2))
    assert tree.leaves([t]) == [t]


def test_deep_and_wide_trees():
    wide = {f"k{i:04d}": [i, (i,)] for i in range(1000)}
    leaves, treedef = round_trip(wide)
    assert len(leaves) == 2000
    deep = 0
    for _ in range(200):
        deep = [deep]
    round_trip(deep)

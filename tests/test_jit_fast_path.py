"""jit's fast call path (a call with the latest call's structure, all leaves arrays) and the
compiled pytree walkers it uses: every change the cache key sees must still take effect."""

from __future__ import annotations

import collections
import dataclasses
import os
from typing import NamedTuple

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import nn, tree
from tests.conftest import host

STRICT = os.environ.get("FUNCDIFF_BACKEND") == "strict"


class State(NamedTuple):
    w: object
    b: object


def _fast_hits(f):
    return f.cache_info()["hits"]


def test_repeated_calls_take_the_fast_path_and_return_fresh_pytrees():
    @fd.jit
    def step(s, x):
        return State(s.w - x, s.b * 2.0), {"sum": fnp.sum(x), "none": None}

    s = State(fnp.ones(3), fnp.ones(()))
    for _ in range(4):
        s, aux = step(s, fnp.ones(3))
        assert isinstance(s, State) and aux["none"] is None and set(aux) == {"none", "sum"}
    np.testing.assert_allclose(host(s.w), -3.0)
    np.testing.assert_allclose(host(s.b), 16.0)
    assert step.trace_count == 1 and _fast_hits(step) == 3
    assert step._store.fast is not None


def test_structure_shape_dtype_and_weak_type_changes_miss_the_fast_path():
    f = fd.jit(lambda xs: [x * 2 for x in xs])
    f([fnp.ones(2), fnp.ones(2)])
    f([fnp.ones(2), fnp.ones(2)])
    assert f.trace_count == 1
    f([fnp.ones(2)])  # another structure
    f([fnp.ones(3), fnp.ones(2)])  # another shape
    f([fnp.ones(2, dtype=fnp.int32), fnp.ones(2)])  # another dtype
    assert f.trace_count == 4
    weak = fnp.asarray(2.0)  # a weakly typed scalar
    g = fd.jit(lambda x: x * 1)
    assert g(weak).weak_type and not g(fnp.ones(())).weak_type
    assert g.trace_count == 2
    out = f([fnp.ones(2)])
    assert len(out) == 1 and f.trace_count == 4  # back to a structure seen before


def test_module_static_fields_are_part_of_the_structure():
    f = fd.jit(lambda m, x: m(x))
    a = nn.Linear(2, 3, key=fd.random.key(0))
    b = nn.Linear(2, 4, key=fd.random.key(0))
    assert f(a, fnp.ones(2)).shape == (3,)
    assert f(a, fnp.ones(2)).shape == (3,)
    assert f(b, fnp.ones(2)).shape == (4,)
    assert f.trace_count == 2


def test_config_changes_and_clear_cache_are_seen():
    f = fd.jit(lambda x: x + 1)
    x = fnp.ones(2)
    f(x)
    f(x)
    with fd.config.override(debug_nans=True):
        f(x)
    assert f.trace_count == 2
    f(x)
    assert f.trace_count == 2
    f.clear_cache()
    assert f._store.fast is None
    f(x)
    assert f.trace_count == 3


def test_python_numbers_keywords_and_tracers_take_the_general_path():
    f = fd.jit(lambda x, y=1.0: x * y)
    x = fnp.arange(3.0)
    f(x, fnp.asarray(2.0))
    np.testing.assert_allclose(host(f(x, 3.0)), [0.0, 3.0, 6.0])
    np.testing.assert_allclose(host(f(x, y=4.0)), [0.0, 4.0, 8.0])
    g = fd.grad(lambda v: fnp.sum(f(v, fnp.asarray(2.0))))(x)
    np.testing.assert_allclose(host(g), [2.0, 2.0, 2.0])


def test_donation_still_applies_on_the_fast_path():
    step = fd.jit(lambda p, g: p - 0.1 * g, donate_argnums=0)
    g = fnp.ones(6)
    p = step(fnp.arange(6.0), g)
    buf = p._value
    new = step(p, g)
    assert _fast_hits(step) == 1
    np.testing.assert_allclose(host(new), np.arange(6.0) - 0.2, rtol=1e-6)
    if not STRICT:
        assert new._value is buf
    twice = step(new, new)  # the same buffer donated and read: copied first
    np.testing.assert_allclose(host(twice), (np.arange(6.0) - 0.2) * 0.9, rtol=1e-6)


# --- the compiled walkers ---------------------------------------------------------------------


@dataclasses.dataclass
class _DC:
    a: object
    tag: str = dataclasses.field(default="t", metadata={"static": True})


TREES = [
    1,
    None,
    (),
    [1, (2, None), {"b": 3, "a": [4]}],
    State(1, [2, 3]),
    collections.OrderedDict([("z", 1), ("a", 2)]),
    collections.defaultdict(list, {"k": (1, 2)}),
    _DC([1, 2]),
    ((((((1,),),),),),),
]


@pytest.mark.parametrize("t", TREES, ids=range(len(TREES)))
def test_matcher_and_builder_agree_with_flatten(t):
    leaves, treedef = tree.flatten(t)
    assert tree._matcher(treedef)(t) == leaves
    rebuilt = tree._builder(treedef)(leaves)
    assert tree.structure(rebuilt) == treedef and tree.leaves(rebuilt) == leaves
    assert type(rebuilt) is type(t)


@pytest.mark.parametrize("other", [
    [1, (2, 5), {"b": 3, "a": [4]}],  # None replaced by a leaf
    [1, (2, None), {"b": 3, "c": [4]}],  # another key
    [1, (2, None), {"b": 3, "a": [4]}, 5],  # one more child
    [1, [2, None], {"b": 3, "a": [4]}],  # list for tuple
    (1, (2, None), {"b": 3, "a": [4]}),
    "leaf",
])
def test_matcher_rejects_other_structures(other):
    match = tree._matcher(tree.structure([1, (2, None), {"b": 3, "a": [4]}]))
    assert match(other) is None


def test_matcher_compares_aux_data_and_sees_new_registrations():
    match = tree._matcher(tree.structure(_DC(1)))
    assert match(_DC(5)) == [5] and match(_DC(5, tag="u")) is None

    class Later:
        pass

    match = tree._matcher(tree.structure([Later()]))
    assert match([Later()]) is not None
    tree.register_pytree_node(Later, lambda x: ((), None), lambda aux, ch: Later())
    assert match([Later()]) is None  # a leaf before, a node now: the generic walk decides
    assert tree.leaves([Later()]) == []
    treedef = tree.structure([1])
    stale = tree._matcher(treedef)
    tree.register_pytree_node(type("Later2", (), {}), lambda x: ((), None), lambda a, c: None)
    assert stale([1]) is None and tree._matcher(treedef)([1]) == [1]  # made again


def test_a_registration_after_the_first_call_keeps_the_fast_path():
    f = fd.jit(lambda x: x * 2)
    x = fnp.ones(2)
    f(x)

    class Fresh(nn.Module):
        def __init__(self):
            self.w = fnp.ones(1)

    f(x)
    f(x)
    assert f.cache_info()["hits"] == 2 and f._store.fast.match((x,)) == [x]


def test_large_trees_are_not_compiled():
    deep: object = 1
    for _ in range(60):
        deep = [deep]
    treedef = tree.structure(deep)
    assert tree._matcher(treedef) is None
    assert tree._builder(treedef)([7]) == tree.unflatten(treedef, [7])

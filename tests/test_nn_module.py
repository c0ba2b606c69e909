"""fd.nn.Module: pytree behaviour (children vs static fields, paths, flatten/unflatten),
freezing and copies (replace, tree_at), the repr, transforms over models (grad, jit, vmap),
checkpoints; the containers (Sequential routing keys, mode and state; Lambda, Flatten); and
the seed example."""

from __future__ import annotations

import dataclasses
import importlib.util
import pathlib

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import nn


class MLP(nn.Module):
    def __init__(self, sizes=(3, 4, 2), *, key):
        keys = fd.random.split(key, len(sizes) - 1)
        self.layers = [nn.Linear(a, b, key=k) for a, b, k in zip(sizes[:-1], sizes[1:], keys)]
        self.activation = nn.relu
        self.name = "mlp"
        self.sizes = tuple(sizes)

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


class Two(nn.Module):
    def __init__(self, *, key):
        k1, k2 = fd.random.split(key)
        self.fc1 = nn.Linear(3, 4, key=k1)
        self.fc2 = nn.Linear(4, 1, key=k2)
        self.scale = 2.0

    def __call__(self, x):
        return self.fc2(nn.relu(self.fc1(x))) * self.scale


def key(i=0):
    return fd.random.key(i)


# --- children and static fields ------------------------------------------------------------


def test_arrays_and_submodules_are_children_and_settings_are_static():
    m = MLP(key=key())
    paths = [fd.tree.keystr(p) for p, _ in fd.tree.leaves_with_path(m)]
    assert paths == [".layers[0].weight", ".layers[0].bias", ".layers[1].weight",
                     ".layers[1].bias"]
    leaves = fd.tree.leaves(m)
    assert all(isinstance(x, fd.Array) for x in leaves)
    treedef = fd.tree.structure(m)
    # name, sizes, activation and the layers' in/out features live in the structure
    assert "mlp" in repr(treedef) and "(3, 4, 2)" in repr(treedef)


def test_flatten_unflatten_round_trip_keeps_class_fields_and_order():
    m = Two(key=key())
    leaves, treedef = fd.tree.flatten(m)
    back = fd.tree.unflatten(treedef, leaves)
    assert type(back) is Two and back.scale == 2.0
    assert list(vars(back)) == list(vars(m))  # field order (and so the repr) survives
    assert all(a is b for a, b in zip(fd.tree.leaves(back), leaves))
    doubled = fd.tree.map(lambda x: x * 2, m)
    np.testing.assert_allclose(host(doubled.fc1.weight), 2 * host(m.fc1.weight))
    assert fd.tree.structure(doubled) == treedef


def test_static_containers_and_none_are_not_leaves():
    class Cfg(nn.Module):
        def __init__(self):
            self.w = fnp.ones(2)
            self.dims = [1, 2, 3]  # unhashable, static
            self.opts = {"a": 1}
            self.none = None
            self.fn = lambda x: x
            self.np_table = np.zeros(2)  # a NumPy array is a leaf

    c = Cfg()
    assert len(fd.tree.leaves(c)) == 2
    assert hash(fd.tree.structure(c)) == hash(fd.tree.structure(fd.tree.map(lambda x: x, c)))
    out = fd.jit(lambda c, x: c.w * x * len(c.dims))(c, 2.0)
    np.testing.assert_allclose(host(out), [6.0, 6.0])


def test_grad_over_a_model_returns_a_model_of_gradients():
    m = Two(key=key())
    x = fnp.ones((5, 3))
    g = fd.grad(lambda m: m(x).sum())(m)
    assert type(g) is Two and g.scale == 2.0
    assert g.fc1.weight.shape == (4, 3) and g.fc2.bias.shape == (1,)
    np.testing.assert_allclose(host(g.fc2.bias), [10.0])  # d/db sum(2 * (h + b)) over 5 rows
    assert fd.tree.structure(g) == fd.tree.structure(m)


def test_optimizer_state_and_updates_over_a_model():
    m = Two(key=key())
    opt = fd.optim.adam(1e-2)
    state = opt.init(m)
    g = fd.grad(lambda m: (m(fnp.ones((2, 3))) ** 2).sum())(m)
    updates, state = opt.update(g, state, m)
    new = fd.optim.apply_updates(m, updates)
    assert type(new) is Two
    assert not np.allclose(host(new.fc1.weight), host(m.fc1.weight))


def test_subclass_calling_super_init_is_frozen_only_after_the_outermost_init():
    class Base(nn.Module):
        def __init__(self, n):
            self.n = n

    class Child(Base):
        def __init__(self):
            super().__init__(3)
            self.w = fnp.ones(self.n)  # still building: allowed

    c = Child()
    assert c.n == 3 and c.w.shape == (3,)
    with pytest.raises(nn.FrozenModuleError):
        c.n = 4


def test_module_without_init_is_frozen_and_has_no_leaves():
    class Act(nn.Module):
        def __call__(self, x):
            return nn.relu(x)

    a = Act()
    assert fd.tree.leaves(a) == []
    with pytest.raises(AttributeError, match="frozen"):
        a.x = 1


def test_annotated_fields_make_a_dataclass_with_static_metadata():
    class Affine(nn.Module):
        w: object
        b: object
        tag: object = dataclasses.field(default=None, metadata={"static": True})

        def __call__(self, x):
            return self.w * x + self.b

    m = Affine(fnp.ones(2), fnp.zeros(2), tag=fnp.ones(1))  # forced static despite an array
    assert len(fd.tree.leaves(m)) == 2
    np.testing.assert_allclose(host(m(3.0)), [3.0, 3.0])
    with pytest.raises(nn.FrozenModuleError):
        m.w = None


def test_vmap_over_inputs_and_over_an_ensemble_of_models():
    m = Two(key=key())
    xs = fd.random.normal(key(1), (6, 3))
    per_example = fd.vmap(lambda m, x: m(x), in_axes=(None, 0))(m, xs)
    np.testing.assert_allclose(host(per_example), host(m(xs)), rtol=1e-5, atol=1e-6)
    ensemble = fd.vmap(lambda k: Two(key=k))(fd.random.split(key(2), 4))
    assert ensemble.fc1.weight.shape == (4, 4, 3) and ensemble.scale == 2.0
    outs = fd.vmap(lambda m: m(xs))(ensemble)
    single = fd.tree.map(lambda a: a[1], ensemble)
    np.testing.assert_allclose(host(outs[1]), host(single(xs)), rtol=1e-5, atol=1e-6)


def test_jit_over_models_traces_once_per_structure():
    traces = []

    @fd.jit
    def apply(m, x):
        traces.append(1)
        return m(x)

    m1, m2 = Two(key=key(0)), Two(key=key(1))
    x = fnp.ones((2, 3))
    np.testing.assert_allclose(host(apply(m1, x)), host(m1(x)), rtol=1e-6)
    apply(m2, x)
    assert len(traces) == 1  # same structure and static fields: cached
    apply(m1.replace(scale=3.0), x)
    assert len(traces) == 2  # a static field changed: traced again


def test_save_and_load_a_model(tmp_path):
    m = MLP(key=key())
    path = tmp_path / "model.fd"
    fd.save(path, m)
    back = fd.load(path, like=MLP(key=key(5)))
    assert type(back) is MLP
    for a, b in zip(fd.tree.leaves(back), fd.tree.leaves(m)):
        np.testing.assert_array_equal(host(a), host(b))


# --- frozen, replace, tree_at --------------------------------------------------------------


def test_assignment_after_init_is_an_error_that_names_the_fix():
    m = Two(key=key())
    with pytest.raises(AttributeError, match=r"cannot assign attribute 'fc1' of Two.*"
                                              r"model\.replace\(fc1=new_value\).*tree_at"):
        m.fc1 = None
    with pytest.raises(nn.FrozenModuleError, match="cannot delete attribute 'scale'"):
        del m.scale


def test_replace_makes_a_modified_copy_and_reclassifies():
    lin = nn.Linear(2, 3, bias=False, key=key())
    assert len(fd.tree.leaves(lin)) == 1
    with_bias = lin.replace(bias=fnp.zeros(3))
    assert lin.bias is None and len(fd.tree.leaves(with_bias)) == 2
    np.testing.assert_allclose(host(with_bias(fnp.ones(2))), host(lin(fnp.ones(2))))
    with pytest.raises(TypeError, match=r"Linear.replace\(\) got unknown field\(s\) \['wieght'\]"):
        lin.replace(wieght=1)


def test_tree_at_replaces_leaves_submodules_and_several_nodes():
    m = Two(key=key())
    new = nn.tree_at(lambda t: t.fc1.bias, m, fnp.ones(4))
    np.testing.assert_allclose(host(new.fc1.bias), np.ones(4))
    assert new.fc2 is m.fc2 and m.fc1.bias is not new.fc1.bias
    swapped = nn.tree_at(lambda t: t.fc2, m, nn.Linear(4, 1, key=key(9)))
    assert swapped.fc2 is not m.fc2 and swapped.fc1 is m.fc1
    both = nn.tree_at(lambda t: (t.fc1.weight, t.fc2.weight), m, replace_fn=lambda w: w * 0)
    assert float(host(both.fc1.weight).sum()) == 0 and float(host(both.fc2.weight).sum()) == 0
    lst = nn.tree_at(lambda t: t.layers[1], MLP(key=key()), nn.Identity())
    assert isinstance(lst.layers[1], nn.Identity)


def test_tree_at_errors():
    m = Two(key=key())
    with pytest.raises(TypeError, match="exactly one of `replace` and `replace_fn`"):
        nn.tree_at(lambda t: t.fc1, m)
    with pytest.raises(ValueError, match="is not part of the tree"):
        nn.tree_at(lambda t: fnp.ones(2), m, 1.0)
    with pytest.raises(ValueError, match="`replace` must be a tuple of 2 values"):
        nn.tree_at(lambda t: (t.fc1.weight, t.fc2.weight), m, 1.0)
    shared = fnp.ones(2)
    with pytest.raises(ValueError, match="appear at several places"):
        nn.tree_at(lambda t: t["a"], {"a": shared, "b": shared}, 0.0)


# --- repr ----------------------------------------------------------------------------------


def test_repr_shows_settings_and_shapes_nested_like_pytorch():
    assert repr(nn.Linear(10, 20, key=key())) == (
        "Linear(in_features=10, out_features=20, weight=f32[20,10], bias=f32[20])")
    text = repr(MLP(key=key()))
    assert text == (
        "MLP(\n"
        "  layers=[\n"
        "    Linear(in_features=3, out_features=4, weight=f32[4,3], bias=f32[4]),\n"
        "    Linear(in_features=4, out_features=2, weight=f32[2,4], bias=f32[2]),\n"
        "  ],\n"
        "  activation=relu,\n"
        "  name='mlp',\n"
        "  sizes=(3, 4, 2),\n"
        ")"
    )
    seq = nn.Sequential(nn.Linear(2, 2, key=key()), nn.relu)
    assert repr(seq).splitlines()[2:4] == ["    Linear(in_features=2, out_features=2, "
                                           "weight=f32[2,2], bias=f32[2]),",
                                           "    Lambda(fn=relu),"]


def test_repr_of_a_model_of_non_arrays_and_under_tracing():
    m = Two(key=key())
    shapes = fd.tree.map(lambda x: x.shape, m)
    assert "weight=(4, 3)" in repr(shapes)
    seen = []
    fd.jit(lambda m: seen.append(repr(m.fc1)) or m.fc1.weight)(m)
    assert seen == ["Linear(in_features=3, out_features=4, weight=f32[4,3], bias=f32[4])"]


def arr(x):
    return fnp.asarray(x)


def randn(seed, *shape):
    return np.random.default_rng(seed).normal(size=shape)


def close(got, want, tol=1e-5):
    np.testing.assert_allclose(host(got), want, rtol=tol, atol=tol)


# --- Sequential and glue -------------------------------------------------------------------


def test_sequential_applies_layers_and_routes_keys_and_mode():
    k1, k2 = fd.random.split(key())
    seq = nn.Sequential(nn.Linear(4, 6, key=k1), nn.relu, nn.Dropout(0.5),
                        nn.Linear(6, 2, key=k2))
    assert len(seq) == 4 and isinstance(seq[1], nn.Lambda) and isinstance(seq[2], nn.Dropout)
    x = arr(randn(0, 3, 4).astype(np.float32))
    want = seq[3](nn.relu(seq[0](x)))
    close(seq(x, inference=True), host(want))
    dkey = fd.random.split(key(7), 4)[2]  # the key Sequential hands layer 2
    manual = seq[3](seq[2](nn.relu(seq[0](x)), key=dkey))
    close(seq(x, key=key(7)), host(manual))
    with pytest.raises(ValueError, match=r"Dropout\(p=0.5\) needs a PRNG key"):
        seq(x)
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 3
    assert [type(ly).__name__ for ly in seq] == ["Linear", "Lambda", "Dropout", "Linear"]
    assert nn.Sequential([nn.Identity(), nn.Flatten()])(fnp.ones((2, 3, 4))).shape == (2, 12)


def test_sequential_threads_batchnorm_state():
    seq = nn.Sequential(nn.Linear(3, 2, key=key()), nn.BatchNorm(2), nn.relu)
    state = seq.init_state()
    assert state[0] is None and isinstance(state[1], nn.BatchNormState) and state[2] is None
    x = arr(randn(0, 5, 3).astype(np.float32))
    y, new = seq(x, state)
    h = seq[0](x)
    want, bn_state = seq[1](h, state[1], training=True)
    close(y, host(nn.relu(want)))
    close(new[1].running_mean, host(bn_state.running_mean))
    y_eval, same = seq(x, new, inference=True)
    close(y_eval, host(nn.relu(seq[1](h, new[1], training=False)[0])))
    with pytest.raises(TypeError, match=r"Sequential: layer 1 \(BatchNorm\) keeps state: make "
                                        r"it with `state = seq.init_state\(\)`"):
        seq(x)
    with pytest.raises(ValueError, match="got a state of 2 entries"):
        seq(x, state[:2])
    with pytest.raises(TypeError, match="layer 0 is a int, not a module or a function"):
        nn.Sequential(3)


def test_flatten_and_lambda():
    assert nn.Flatten(0, -1)(fnp.ones((2, 3))).shape == (6,)
    assert nn.Flatten(1, 2)(fnp.ones((2, 3, 4, 5))).shape == (2, 12, 5)
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=2, end_dim=1\) cannot flatten"):
        nn.Flatten(2, 1)(fnp.ones((2, 3, 4)))
    with pytest.raises(TypeError, match="Lambda: fn must be callable"):
        nn.Lambda(3)


# --- the seed example ----------------------------------------------------------------------


def _load_seed_example():
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "seed_mlp.py"
    spec = importlib.util.spec_from_file_location("seed_mlp", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_seed_example_trains_and_prints_like_the_note(capsys):
    seed = _load_seed_example()
    losses = seed.main()
    lines = capsys.readouterr().out.splitlines()
    assert len(losses) == 100 and len(lines) == 100
    assert lines[0] == f"Epoch [1/100], Loss: {losses[0]:.4f}"
    assert lines[-1].startswith("Epoch [100/100], Loss: ")
    assert losses[-1] < losses[0] * 0.95
    assert all(b <= a + 1e-6 for a, b in zip(losses, losses[1:]))  # full-batch GD, small lr
    model = seed.SimpleNN(key=key())
    assert model.fc1.weight.shape == (20, 10) and model.fc2.weight.shape == (1, 20)

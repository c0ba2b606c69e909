"""fd.optim: trajectories and schedules against optax's numbers, states as pytrees, errors.

The reference numbers at the bottom were generated once with optax 0.2.8 (jax 0.10, float32)
from the same optimizers, parameters and gradient rule as defined here.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
import funcdiff.optim as O

STEPS = 4
SCHED_STEPS = 10


def make_params():
    return {"w": fnp.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.3]]),
            "b": fnp.array([0.1, -0.2]),
            "s": fnp.array(3.0)}


def grad_of(p):
    # A gradient rule with only exact float32 arithmetic, so both libraries see equal inputs.
    return fd.tree.map(lambda x: x * 1.5 - 0.25, p)


def optimizers():
    o = O
    return {
        "sgd": o.sgd(0.1),
        "sgd_momentum": o.sgd(0.1, momentum=0.9),
        "sgd_nesterov": o.sgd(0.1, momentum=0.9, nesterov=True),
        "sgd_linear_schedule": o.sgd(o.linear_schedule(0.1, 0.01, 3)),
        "adam": o.adam(0.05),
        "adam_nesterov_eps_root": o.adam(0.05, b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-8,
                                         nesterov=True),
        "adam_exponential_decay": o.adam(o.exponential_decay(0.1, 2, 0.5)),
        "adamw": o.adamw(0.05, weight_decay=0.1),
        "adamw_mask_tree": o.adamw(0.05, weight_decay=0.1,
                                   mask={"w": True, "b": False, "s": False}),
        "adamw_mask_fn_warmup_cosine": o.adamw(
            o.warmup_cosine_decay_schedule(0.0, 0.1, 2, 6), weight_decay=0.1,
            mask=lambda p: {k: v.ndim > 1 for k, v in p.items()}),
        "rmsprop": o.rmsprop(0.01),
        "rmsprop_centered_momentum": o.rmsprop(0.01, centered=True, momentum=0.9),
        "rmsprop_all_options": o.rmsprop(0.01, decay=0.8, eps=1e-4, initial_scale=0.1,
                                         eps_in_sqrt=False, momentum=0.5, nesterov=True,
                                         bias_correction=True),
        "adagrad": o.adagrad(0.1),
        "lion": o.lion(0.01),
        "lion_decay": o.lion(0.01, b1=0.8, b2=0.9, weight_decay=0.1),
        "clip_global_norm_adam": o.chain(o.clip_by_global_norm(1.0), o.adam(0.05)),
        "clip_sgd": o.chain(o.clip(0.5), o.sgd(0.1)),
        "masked_momentum": o.chain(o.masked(o.trace(0.9), {"w": True, "b": False, "s": True}),
                                   o.scale_by_learning_rate(0.1)),
        "decayed_weights_schedule": o.chain(
            o.add_decayed_weights(o.linear_schedule(0.1, 0.0, 4)), o.sgd(0.1)),
    }


def schedules():
    o = O
    return {
        "constant": o.constant_schedule(0.3),
        "linear": o.linear_schedule(1.0, 0.1, 5, transition_begin=2),
        "polynomial": o.polynomial_schedule(1.0, 0.1, 2, 5),
        "exponential": o.exponential_decay(1.0, 3, 0.5),
        "exponential_staircase": o.exponential_decay(1.0, 3, 0.5, transition_begin=2,
                                                     staircase=True, end_value=0.2),
        "exponential_growth": o.exponential_decay(1.0, 2, 2.0, end_value=3.0),
        "cosine": o.cosine_decay_schedule(1.0, 5, alpha=0.1),
        "cosine_exponent": o.cosine_decay_schedule(1.0, 5, exponent=2.0),
        "warmup_cosine": o.warmup_cosine_decay_schedule(0.0, 1.0, 3, 8, end_value=0.1),
        "piecewise": o.piecewise_constant_schedule(1.0, {2: 0.5, 5: 0.1}),
        "join": o.join_schedules([o.constant_schedule(1.0), o.linear_schedule(0.5, 0.0, 4)], [3]),
        "warmup_exponential": o.warmup_exponential_decay_schedule(0.0, 1.0, 2, 2, 0.5,
                                                                  end_value=0.3),
    }


def flat(p):
    return np.concatenate([host(x).astype(np.float32).ravel() for x in fd.tree.leaves(p)])


def run(opt, steps=STEPS):
    p = make_params()
    state = opt.init(p)
    out = []
    for _ in range(steps):
        updates, state = opt.update(grad_of(p), state, p)
        p = O.apply_updates(p, updates)
        out.append(flat(p))
    return out, p, state


# --- against optax --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(optimizers()))
def test_trajectory_matches_optax(name):
    got, _, _ = run(optimizers()[name])
    for step, (g, ref) in enumerate(zip(got, TRAJECTORIES[name], strict=True)):
        np.testing.assert_allclose(g, np.array(ref, np.float32), rtol=2e-5, atol=1e-6,
                                   err_msg=f"{name}, step {step + 1}")


@pytest.mark.parametrize("name", list(schedules()))
def test_schedule_matches_optax(name):
    sched = schedules()[name]
    got = [float(host(fnp.asarray(sched(fnp.array(i, fnp.int32))))) for i in range(SCHED_STEPS)]
    np.testing.assert_allclose(got, SCHEDULES[name], rtol=1e-6, atol=1e-7)
    # Python ints work too (and give the same values).
    np.testing.assert_allclose([float(host(fnp.asarray(sched(i)))) for i in range(3)],
                               SCHEDULES[name][:3], rtol=1e-6, atol=1e-7)


# --- states are pytrees --------------------------------------------------------------------


def test_states_are_namedtuple_pytrees():
    _, _, state = run(O.adam(0.1), steps=2)
    (adam_state, lr_state) = state
    assert isinstance(adam_state, O.ScaleByAdamState)
    assert int(adam_state.count) == 2 and adam_state.count.dtype == np.int32
    assert isinstance(lr_state, O.EmptyState)
    leaves = fd.tree.leaves(state)
    assert len(leaves) == 1 + 2 * 3
    again = fd.tree.unflatten(fd.tree.structure(state), leaves)
    assert type(again[0]) is O.ScaleByAdamState
    _, _, sched_state = run(O.sgd(O.linear_schedule(0.1, 0.0, 10)), steps=3)
    assert int(sched_state[1].count) == 3


def test_update_step_traces_and_vmaps():
    opt = O.adam(0.05)

    def step(p, state):
        updates, state = opt.update(grad_of(p), state, p)
        return O.apply_updates(p, updates), state

    p = make_params()
    state = opt.init(p)
    assert "sqrt" in str(fd.make_jaxpr(step)(p, state))
    # vmap over a batch of independent parameter sets equals a loop over them.
    batch = fd.tree.map(lambda x: fnp.stack([x, 2 * x]), p)
    states = fd.vmap(opt.init)(batch)
    new_p, _ = fd.vmap(step)(batch, states)
    for i in range(2):
        one = fd.tree.map(lambda x, i=i: x[i], batch)
        ref, _ = step(one, opt.init(one))
        np.testing.assert_allclose(flat(fd.tree.map(lambda x, i=i: x[i], new_p)), flat(ref),
                                   rtol=1e-6)
    jit = getattr(fd, "jit", None)
    if jit is not None:
        np.testing.assert_allclose(flat(jit(step)(p, state)[0]), flat(step(p, state)[0]),
                                   rtol=1e-6)


def test_differentiable_through_an_update():
    # d/d lr of the loss after one SGD step: -|g|^2 * (1 - 2 lr)-style closed form for x^2.
    def loss_after(lr):
        opt = O.sgd(lr)
        p = fnp.array([1.0, -2.0])
        updates, _ = opt.update(2 * p, opt.init(p))
        return fnp.sum(O.apply_updates(p, updates) ** 2)

    # p' = p (1 - 2 lr); loss = |p|^2 (1 - 2 lr)^2; d/dlr = -4 |p|^2 (1 - 2 lr)
    assert abs(float(fd.grad(loss_after)(0.1)) - (-4 * 5 * 0.8)) < 1e-4


def test_global_norm_and_helpers():
    assert abs(float(O.global_norm({"a": fnp.ones((2, 2)), "b": [fnp.array(3.0)]}))
               - np.sqrt(13)) < 1e-6
    assert int(O.safe_increment(fnp.array(5, fnp.int32))) == 6
    u, s = O.set_to_zero().update({"a": fnp.ones(2)}, O.EmptyState())
    assert host(u["a"]).tolist() == [0.0, 0.0]
    u, _ = O.identity().update([1.0], O.EmptyState())
    assert u == [1.0]
    named = O.named_chain(("clip", O.clip(1.0)), ("sgd", O.sgd(1.0)))
    u, s = named.update(fnp.array([3.0]), named.init(fnp.zeros(1)))
    assert list(s) == ["clip", "sgd"] and host(u).tolist() == [-1.0]


def test_masked_by_prefix_tree_keeps_state_only_where_masked_in():
    params = {"enc": {"w": fnp.ones(2), "b": fnp.ones(1)}, "head": fnp.ones(3)}
    opt = O.masked(O.trace(0.9), {"enc": True, "head": False})
    state = opt.init(params)
    assert isinstance(state.inner_state.trace["head"], O.MaskedNode)
    grads = fd.tree.map(fnp.ones_like, params)
    u, state = opt.update(grads, state)
    u, state = opt.update(grads, state)
    assert host(u["enc"]["w"]).tolist() == pytest.approx([1.9, 1.9])
    assert host(u["head"]).tolist() == [1.0, 1.0, 1.0]


# --- errors ------------------------------------------------------------------------------------


def test_state_for_other_params_names_the_leaf():
    opt = O.adam(0.1)
    state = opt.init({"w": fnp.zeros(3), "b": fnp.zeros(2)})
    with pytest.raises(ValueError, match=r"scale_by_adam.*at \['w'\].*shape \(3,\).*\(4,\)"
                                         r".*init\(params\)"):
        opt.update({"w": fnp.zeros(4), "b": fnp.zeros(2)}, state)
    with pytest.raises(ValueError, match=r"updates have a leaf at \['c'\] that the state lacks"):
        opt.update({"w": fnp.zeros(3), "b": fnp.zeros(2), "c": fnp.zeros(1)}, state)
    with pytest.raises(ValueError, match=r"state has a leaf at \['b'\] that the updates lack"):
        opt.update({"w": fnp.zeros(3)}, state)


def test_other_errors():
    with pytest.raises(ValueError, match="needs the current parameters"):
        O.adamw(0.1).update(fnp.zeros(2), O.adamw(0.1).init(fnp.zeros(2)))
    with pytest.raises(ValueError, match=r"chain of 2 transformations got a state of 1 parts"):
        O.adam(0.1).update(fnp.zeros(2), (O.EmptyState(),))
    with pytest.raises(TypeError, match="argument 1 is a float, not a GradientTransformation"):
        O.chain(O.clip(1.0), 0.1)
    with pytest.raises(ValueError, match=r"apply_updates.*at \['w'\].*shape \(2,\).*\(3,\)"):
        O.apply_updates({"w": fnp.zeros(2)}, {"w": fnp.zeros(3)})
    with pytest.raises(ValueError, match="mask must have the structure of the params"):
        O.masked(O.trace(0.9), {"x": True}).init({"w": fnp.zeros(2)})
    with pytest.raises(ValueError, match="positive decay_steps, got decay_steps=0"):
        O.cosine_decay_schedule(1.0, 0)
    with pytest.raises(ValueError, match="non-negative scales"):
        O.piecewise_constant_schedule(1.0, {3: -0.5})
    with pytest.raises(ValueError, match="one boundary fewer than schedules"):
        O.join_schedules([O.constant_schedule(1.0)], [3])
    with pytest.raises(ValueError, match="unique names"):
        O.named_chain(("a", O.clip(1.0)), ("a", O.clip(1.0)))


def test_degenerate_schedules_are_constant():
    assert O.exponential_decay(0.5, 0, 0.1)(10) == 0.5
    assert O.polynomial_schedule(0.5, 0.0, 1, 0)(10) == 0.5
    assert O.constant_schedule(0.25)(3) == 0.25


# --- reference numbers (optax 0.2.8) ------------------------------------------------

TRAJECTORIES = {  # params (leaves b, s, w flattened) after each step
    'sgd': [
        [0.11, -0.145, 2.575, 0.45, -0.825, 1.725, 1.3, 0.025, -0.23],
        [0.1185, -0.098249994, 2.2137501, 0.4075, -0.67625, 1.49125, 1.13, 0.04625, -0.1705],
        [
            0.125725, -0.058512494, 1.9066876, 0.371375, -0.5498125, 1.2925625, 0.9855, 0.0643125,
            -0.11992499
        ],
        [
            0.13186625, -0.024735618, 1.6456845, 0.34066874, -0.4423406, 1.1236781, 0.86267495,
            0.07966563, -0.076936245
        ],
    ],
    'sgd_momentum': [
        [0.11, -0.145, 2.575, 0.45, -0.825, 1.725, 1.3, 0.025, -0.23],
        [
            0.1275, -0.04875, 1.83125, 0.36249998, -0.51874995, 1.24375, 0.9499999, 0.06875,
            -0.10749999
        ],
        [
            0.149125, 0.070187494, 0.9121875, 0.25437498, -0.14031246, 0.6490625, 0.5174999,
            0.122812495, 0.043875024
        ],
        [
            0.17121874, 0.19170311, -0.026796818, 0.14390624, 0.24632815, 0.041484416, 0.07562494,
            0.17804687, 0.19853127
        ],
    ],
    'sgd_nesterov': [
        [0.119, -0.09549999, 2.1925, 0.405, -0.6675, 1.4775, 1.12, 0.0475, -0.167],
        [
            0.140685, 0.023767494, 1.2708876, 0.296575, -0.2880125, 0.88116246, 0.68630004,
            0.101712495, -0.015204981
        ],
        [
            0.16117129, 0.136442, 0.40022093, 0.19414364, 0.070497334, 0.3177899, 0.27657455,
            0.15292817, 0.12819895
        ],
        [
            0.17766759, 0.22717169, -0.3008722, 0.1116621, 0.35918275, -0.13585863, -0.05335164,
            0.19416896, 0.24367312
        ],
    ],
    'sgd_linear_schedule': [
        [0.11, -0.145, 2.575, 0.45, -0.825, 1.725, 1.3, 0.025, -0.23],
        [0.11595, -0.112275, 2.322125, 0.42025, -0.72087497, 1.561375, 1.181, 0.039875, -0.18835],
        [
            0.118993, -0.0955385, 2.1927974, 0.405035, -0.66762245, 1.4776925, 1.12014, 0.0474825,
            -0.167049
        ],
        [
            0.119708106, -0.09160542, 2.1624055, 0.40145946, -0.6551081, 1.4580271, 1.1058378,
            0.049270265, -0.16204327
        ],
    ],
    'adam': [
        [
            0.14999966, -0.15000033, 2.9500003, 0.45000035, -0.95000035, 1.9500003, 1.4500003,
            0.049999665, -0.25000036
        ],
        [
            0.19152926, -0.10032437, 2.900026, 0.40037507, -0.9000699, 1.9000416, 1.4000597,
            0.09878521, -0.20022808
        ],
        [
            0.21083733, -0.051273983, 2.850094, 0.35148627, -0.85025865, 1.8501521, 1.3502203,
            0.14467214, -0.15087911
        ],
        [
            0.20932272, -0.003236413, 2.8002226, 0.30380994, -0.8006212, 1.8003625, 1.3005277,
            0.18503103, -0.10219157
        ],
    ],
    'adam_nesterov_eps_root': [
        [
            0.17222145, -0.12777793, 2.9277778, 0.42777795, -0.9277778, 1.9277778, 1.4277779,
            0.072221905, -0.22777793
        ],
        [
            0.18555038, -0.074174464, 2.8708937, 0.37462398, -0.8715036, 1.8711215, 1.3713704,
            0.119216055, -0.17326531
        ],
        [
            0.18242463, -0.026343454, 2.8179135, 0.32755333, -0.81941986, 1.8184726, 1.3190883,
            0.15518075, -0.1239324
        ],
        [
            0.1747935, 0.017625123, 2.766596, 0.28474364, -0.7693022, 1.7675939, 1.2687018,
            0.18079793, -0.077719264
        ],
    ],
    'adam_exponential_decay': [
        [
            0.19999933, -0.100000665, 2.9000006, 0.40000066, -0.9000007, 1.9000007, 1.4000007,
            0.09999933, -0.20000067
        ],
        [
            0.21883255, -0.030731052, 2.829368, 0.33100748, -0.82952636, 1.8294218, 1.3294878,
            0.16353765, -0.13023365
        ],
        [
            0.20893818, 0.016738757, 2.7794921, 0.28407395, -0.77990526, 1.7796314, 1.279804,
            0.19881955, -0.0818346
        ],
        [
            0.1950765, 0.049016465, 2.7442768, 0.2524988, -0.744979, 1.7445127, 1.2448062,
            0.21530744, -0.04837275
        ],
    ],
    'adamw': [
        [
            0.14949965, -0.14900033, 2.9350004, 0.44750035, -0.94500035, 1.9400003, 1.4425004,
            0.049999665, -0.24850035
        ],
        [
            0.19047785, -0.09858921, 2.8703594, 0.39566705, -0.8903533, 1.8803511, 1.3853579,
            0.09853521, -0.19749537
        ],
        [
            0.20955482, -0.049073238, 2.8060982, 0.3448907, -0.8361133, 1.8210856, 1.3286207,
            0.14394973, -0.14718631
        ],
        [
            0.20788324, -0.0008431114, 2.7422392, 0.29568613, -0.7823393, 1.7622393, 1.2723408,
            0.18368782, -0.09781639
        ],
    ],
    'adamw_mask_tree': [
        [
            0.14999966, -0.15000033, 2.9500003, 0.44750035, -0.94500035, 1.9400003, 1.4425004,
            0.049999665, -0.24850035
        ],
        [
            0.19152926, -0.10032437, 2.900026, 0.39566705, -0.8903533, 1.8803511, 1.3853579,
            0.09853521, -0.19749537
        ],
        [
            0.21083733, -0.051273983, 2.850094, 0.3448907, -0.8361133, 1.8210856, 1.3286207,
            0.14394973, -0.14718631
        ],
        [
            0.20932272, -0.003236413, 2.8002226, 0.29568613, -0.7823393, 1.7622393, 1.2723408,
            0.18368782, -0.09781639
        ],
    ],
    'adamw_mask_fn_warmup_cosine': [
        [0.1, -0.2, 3, 0.5, -1, 2, 1.5, 0, -0.3],
        [
            0.1499995, -0.1500005, 2.9500005, 0.4475005, -0.9450005, 1.9400005, 1.4425005,
            0.049999498, -0.24850051
        ],
        [
            0.23724617, -0.05073066, 2.8500671, 0.34391725, -0.8357456, 1.82073, 1.3282517,
            0.14712243, -0.14656577
        ],
        [
            0.25687006, 0.031337097, 2.7649367, 0.25978765, -0.7439699, 1.720289, 1.2321966,
            0.21761404, -0.062296085
        ],
    ],
    'rmsprop': [
        [
            0.13162261, -0.16837724, 2.968377, 0.46837723, -0.96837723, 1.9683772, 1.4683772,
            0.03162275, -0.26837724
        ],
        [
            0.14694905, -0.14643976, 2.9455578, 0.4465479, -0.9457366, 1.9456257, 1.4456983,
            0.052160256, -0.24621293
        ],
        [
            0.15568522, -0.12859784, 2.9265125, 0.42885584, -0.92693204, 1.9266713, 1.4268419,
            0.06803563, -0.22805813
        ],
        [
            0.16074774, -0.1131292, 2.9096467, 0.41356406, -0.9103423, 1.9099097, 1.4101925,
            0.08115145, -0.21222211
        ],
    ],
    'rmsprop_centered_momentum': [
        [
            0.13333315, -0.16666669, 2.9666667, 0.46666667, -0.9666667, 1.9666667, 1.4666667,
            0.0333333, -0.26666668
        ],
        [
            0.17952105, -0.11236298, 2.9113195, 0.41249198, -0.9115296, 1.911399, 1.4114845,
            0.085951634, -0.21209303
        ],
        [
            0.21486157, -0.044235453, 2.8393734, 0.34486294, -0.8403202, 1.8397298, 1.3401154,
            0.14720295, -0.14294057
        ],
        [
            0.22788888, 0.03189285, 2.7542102, 0.26998085, -0.75681555, 1.7551845, 1.2562474,
            0.20585063, -0.06428997
        ],
    ],
    'rmsprop_all_options': [
        [
            0.10234224, -0.1901581, 2.9851637, 0.49069855, -0.9858938, 1.9853821, 1.4856987,
            0.0055132983, -0.28887123
        ],
        [
            0.10607518, -0.17682575, 2.9678, 0.47790202, -0.9690454, 1.968174, 1.4687128,
            0.013862842, -0.27435306
        ],
        [
            0.110864416, -0.16163523, 2.9492013, 0.46319646, -0.9508883, 1.9497145, 1.4504417,
            0.024100576, -0.25812584
        ],
        [
            0.11641483, -0.14547792, 2.9300077, 0.4474761, -0.93211657, 1.9306606, 1.4315655,
            0.035530906, -0.24104944
        ],
    ],
    'adagrad': [
        [
            0.13015112, -0.11330786, 2.9002757, 0.41548458, -0.90159374, 1.9006547, 1.401227,
            0.062017348, -0.20886779
        ],
        [
            0.14644518, -0.058110286, 2.8309422, 0.36212823, -0.83465385, 1.8321784, 1.333739,
            0.0983037, -0.14973024
        ],
        [
            0.15543196, -0.01759509, 2.7749522, 0.3234719, -0.78150463, 1.7772268, 1.2799542,
            0.12136888, -0.105134346
        ],
        [
            0.16041864, 0.01392445, 2.726886, 0.2938522, -0.73654896, 1.730302, 1.2343055,
            0.1364766, -0.06935963
        ],
    ],
    'lion': [
        [0.109999, -0.189998, 2.98997, 0.489995, -0.98999, 1.98998, 1.489985, 0.01, -0.289997],
        [
            0.1199979, -0.1799961, 2.9799402, 0.4799901, -0.9799801, 1.9799601, 1.4799701,
            0.019999899, -0.2799941
        ],
        [
            0.1299967, -0.16999431, 2.9699104, 0.4699853, -0.9699703, 1.9699403, 1.4699553,
            0.0299997, -0.2699913
        ],
        [
            0.1399954, -0.1599926, 2.9598806, 0.4599806, -0.9599606, 1.9599206, 1.4599407,
            0.0399994, -0.2599886
        ],
    ],
    'lion_decay': [
        [0.1099, -0.18980001, 2.987, 0.4895, -0.989, 1.988, 1.4885, 0.01, -0.2897],
        [
            0.1197901, -0.17961021, 2.974013, 0.4790105, -0.978011, 1.976012, 1.4770114, 0.01999,
            -0.2794103
        ],
        [
            0.1296703, -0.1694306, 2.961039, 0.4685315, -0.967033, 1.964036, 1.4655344, 0.02997001,
            -0.2691309
        ],
        [
            0.13954064, -0.15926117, 2.948078, 0.45806295, -0.956066, 1.9520719, 1.4540689,
            0.03994004, -0.25886175
        ],
    ],
    'clip_global_norm_adam': [
        [
            0.14999965, -0.15000035, 2.9500003, 0.45000035, -0.95000035, 1.9500003, 1.4500003,
            0.04999965, -0.25000036
        ],
        [
            0.19171867, -0.100240916, 2.8999875, 0.40028623, -0.90002215, 1.8999996, 1.4000139,
            0.09893254, -0.20015597
        ],
        [
            0.21031252, -0.05096429, 2.8499527, 0.35115683, -0.850083, 1.849998, 1.350052,
            0.14517754, -0.15061179
        ],
        [
            0.20734957, -0.0025038533, 2.7998884, 0.30303425, -0.80020475, 1.7999974, 1.3001289,
            0.18595353, -0.101556174
        ],
    ],
    'clip_sgd': [
        [0.11, -0.15, 2.95, 0.45, -0.95, 1.95, 1.45, 0.025, -0.25],
        [0.1185, -0.10250001, 2.9, 0.4075, -0.9, 1.9000001, 1.4000001, 0.04625, -0.2],
        [
            0.125725, -0.062125005, 2.8500001, 0.371375, -0.84999996, 1.8500001, 1.3500001,
            0.0643125, -0.15
        ],
        [
            0.13186625, -0.027806252, 2.8000002, 0.34066874, -0.79999995, 1.8000002, 1.3000002,
            0.07966563, -0.10250001
        ],
    ],
    'masked_momentum': [
        [0.11, -0.145, 2.575, 0.45, -0.825, 1.725, 1.3, 0.025, -0.23],
        [
            0.1185, -0.098249994, 1.83125, 0.36249998, -0.51874995, 1.24375, 0.9499999, 0.06875,
            -0.10749999
        ],
        [
            0.125725, -0.058512494, 0.9121875, 0.25437498, -0.14031246, 0.6490625, 0.5174999,
            0.122812495, 0.043875024
        ],
        [
            0.13186625, -0.024735618, -0.026796818, 0.14390624, 0.24632815, 0.041484416, 0.07562494,
            0.17804687, 0.19853127
        ],
    ],
    'decayed_weights_schedule': [
        [0.109, -0.143, 2.545, 0.445, -0.815, 1.7049999, 1.285, 0.025, -0.227],
        [
            0.116832495, -0.09547751, 2.1691625, 0.39991248, -0.6616375, 1.4614624, 1.1076125,
            0.0460625, -0.1662475
        ],
        [
            0.123723455, -0.05567849, 1.8579423, 0.36292604, -0.53408366, 1.2599357, 0.96093255,
            0.063922815, -0.11547914
        ],
        [
            0.12985563, -0.02218752, 1.5996062, 0.33257982, -0.4276359, 1.0927955, 0.83939034,
            0.079174586, -0.07286857
        ],
    ],
}
SCHEDULES = {
    'constant': [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
    'linear': [1, 1, 1, 0.82, 0.64000005, 0.45999995, 0.27999997, 0.1, 0.1, 0.1],
    'polynomial': [1, 0.67600006, 0.424, 0.24399999, 0.13599999, 0.1, 0.1, 0.1, 0.1, 0.1],
    'exponential': [
        1, 0.7937005, 0.62996054, 0.5, 0.39685026, 0.31498027, 0.25, 0.19842514, 0.15749012, 0.125
    ],
    'exponential_staircase': [1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25],
    'exponential_growth': [1, 1.4142135, 2, 2.828427, 3, 3, 3, 3, 3, 3],
    'cosine': [1, 0.9140576, 0.68905765, 0.41094232, 0.18594232, 0.1, 0.1, 0.1, 0.1, 0.1],
    'cosine_exponent': [1, 0.81813556, 0.42838135, 0.11936436, 0.00911862, 0, 0, 0, 0, 0],
    'warmup_cosine': [
        0, 0.33333337, 0.6666667, 1, 0.9140576, 0.68905765, 0.41094232, 0.18594232, 0.1, 0.1
    ],
    'piecewise': [1, 1, 0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.05, 0.05],
    'join': [1, 1, 1, 0.5, 0.375, 0.25, 0.125, 0, 0, 0],
    'warmup_exponential': [0, 0.5, 1, 0.70710677, 0.5, 0.35355338, 0.3, 0.3, 0.3, 0.3],
}

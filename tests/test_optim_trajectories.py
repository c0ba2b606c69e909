"""fd.optim over long runs: 60-step trajectories on a parabola and on the Rosenbrock function,
and schedules far into training, against optax's numbers.

Both libraries see the same gradients: each step computes them on the host in float32 from
the current parameters (``parabola_grad``, ``rosenbrock_grad``), so the comparison measures
the optimizers only. The tables at the bottom hold the parameters after steps 1, 10, 20, …,
60 (``CHECKPOINTS``) and the schedules' values at ``SCHEDULE_STEPS``. They were generated once
with optax 0.2.8 (jax 0.10.2, float32, CPU) by running this file as a script, which builds
the very same optimizers from optax (the table ``optimizers(o)`` takes the library as an
argument, since the names and arguments agree)::

    python tests/test_optim_trajectories.py    # needs jax and optax; prints the tables
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import optim

STEPS = 60
CHECKPOINTS = (1, 10, 20, 30, 40, 50, 60)
SCHEDULE_STEPS = (0, 1, 7, 10, 99, 100, 101, 250, 999, 1000, 1001, 5000)

# --- the two problems (gradients in host float32, identical for both libraries) ------------

CURVATURE = np.array([1.0, 4.0, 0.25], np.float32)


def parabola_start():
    return {"w": np.array([1.0, -1.5, 2.0], np.float32), "b": np.array(-0.5, np.float32)}


def parabola_grad(p):
    # f = 0.5 * sum(c * w**2) + 1.5 * (b - 1)**2: an ill-conditioned bowl, minimum (0, 1).
    return {"w": CURVATURE * p["w"], "b": np.float32(3.0) * (p["b"] - np.float32(1.0))}


def rosenbrock_start():
    return {"xy": np.array([-1.2, 1.0], np.float32)}


def rosenbrock_grad(p):
    # f = (1 - x)**2 + 100 (y - x**2)**2: the curved valley, minimum (1, 1).
    x, y = p["xy"]
    r = y - x * x
    gx = np.float32(-2.0) * (np.float32(1.0) - x) - np.float32(400.0) * x * r
    gy = np.float32(200.0) * r
    return {"xy": np.array([gx, gy], np.float32)}


PROBLEMS = {"parabola": (parabola_start, parabola_grad),
            "rosenbrock": (rosenbrock_start, rosenbrock_grad)}


def optimizers(o):
    """The optimizers under test, built from ``o`` (``funcdiff.optim`` or ``optax``)."""
    return {
        "sgd": o.sgd(1e-3),
        "sgd_momentum": o.sgd(5e-4, momentum=0.9),
        "sgd_nesterov": o.sgd(5e-4, momentum=0.9, nesterov=True),
        "adam": o.adam(0.02),
        "adam_b": o.adam(0.01, b1=0.5, b2=0.9, eps=1e-6),
        "adamw": o.adamw(0.02, weight_decay=0.05),
        "nadam": o.nadam(0.02),
        "rmsprop": o.rmsprop(3e-3),
        "rmsprop_centered": o.rmsprop(3e-3, centered=True),
        "rmsprop_centered_momentum": o.rmsprop(1e-3, decay=0.95, centered=True, momentum=0.5),
        "adagrad": o.adagrad(0.05),
        "lion": o.lion(3e-3),
        "lion_decay": o.lion(1e-3, b1=0.95, b2=0.98, weight_decay=0.1),
        "clip_sgd_exponential": o.chain(
            o.clip_by_global_norm(1.0), o.sgd(o.exponential_decay(0.05, 10, 0.8))),
        "clip_adamw_warmup_cosine": o.chain(
            o.clip_by_global_norm(0.5),
            o.adamw(o.warmup_cosine_decay_schedule(0.0, 0.05, 10, 60, end_value=1e-3),
                    weight_decay=1e-2)),
        "adam_piecewise": o.adam(o.piecewise_constant_schedule(0.03, {20: 0.5, 40: 0.2})),
        "sgd_momentum_cosine": o.sgd(o.cosine_decay_schedule(5e-4, 60, alpha=0.1),
                                     momentum=0.8),
        "lion_linear": o.lion(o.linear_schedule(3e-3, 1e-4, 50, transition_begin=5),
                              weight_decay=0.0),
    }


def schedules(o):
    """Schedules over a 1000-step run, built from ``o``."""
    return {
        "constant": o.constant_schedule(3e-4),
        "linear": o.linear_schedule(1e-3, 1e-5, 900, transition_begin=100),
        "polynomial": o.polynomial_schedule(1e-2, 1e-4, 3.0, 1000, transition_begin=7),
        "exponential": o.exponential_decay(1e-3, 100, 0.9),
        "exponential_staircase": o.exponential_decay(1e-3, 100, 0.5, transition_begin=10,
                                                     staircase=True, end_value=1e-5),
        "cosine": o.cosine_decay_schedule(1e-3, 1000, alpha=0.05),
        "cosine_exponent": o.cosine_decay_schedule(2e-3, 1000, exponent=1.5),
        "warmup_cosine": o.warmup_cosine_decay_schedule(0.0, 1e-3, 100, 1000, end_value=1e-5),
        "warmup_exponential": o.warmup_exponential_decay_schedule(1e-5, 1e-3, 100, 250, 0.5,
                                                                  end_value=1e-4),
        "piecewise": o.piecewise_constant_schedule(0.1, {100: 0.1, 250: 0.5, 1000: 0.1}),
        "join": o.join_schedules([o.linear_schedule(0.0, 1.0, 10),
                                  o.exponential_decay(1.0, 100, 0.5)], [10]),
    }


def trajectory(o, asarray, opt, problem, step=None):
    """Parameters (flattened, float32) after each step in ``CHECKPOINTS``.

    ``asarray`` makes the library's arrays from host ones; ``step(p, state, g)`` (default:
    ``opt.update`` then ``o.apply_updates``) is the training step, so it can be jitted.
    """
    start, grad = PROBLEMS[problem]
    if step is None:
        def step(p, state, g):
            updates, state = opt.update(g, state, p)
            return o.apply_updates(p, updates), state
    p = {k: asarray(v) for k, v in start().items()}
    state = opt.init(p)
    out = []
    for i in range(1, STEPS + 1):
        g = grad({k: np.asarray(host(v) if isinstance(v, fd.Array) else v, np.float32)
                  for k, v in p.items()})
        p, state = step(p, state, {k: asarray(v) for k, v in g.items()})
        if i in CHECKPOINTS:
            out.append(np.concatenate([np.ravel(host(v) if isinstance(v, fd.Array) else v)
                                       for _, v in sorted(p.items())]).astype(np.float32))
    return out


CASES = [(prob, name) for prob in PROBLEMS for name in optimizers(optim)]


def assert_matches(got, prob, name):
    for step, g, ref in zip(CHECKPOINTS, got, TRAJECTORIES[prob][name], strict=True):
        np.testing.assert_allclose(g, np.array(ref, np.float32), rtol=1e-4, atol=1e-5,
                                   err_msg=f"{name} on the {prob}, step {step}")


@pytest.mark.parametrize(("prob", "name"), CASES)
def test_trajectory_matches_optax(prob, name):
    got = trajectory(optim, fnp.asarray, optimizers(optim)[name], prob)
    assert_matches(got, prob, name)


@pytest.mark.parametrize("name", ["adam", "rmsprop_centered", "clip_adamw_warmup_cosine",
                                  "lion_linear"])
def test_jitted_step_matches_optax(name):
    opt = optimizers(optim)[name]

    @fd.jit
    def step(p, state, g):
        updates, state = opt.update(g, state, p)
        return optim.apply_updates(p, updates), state

    got = trajectory(optim, fnp.asarray, opt, "rosenbrock", step=step)
    assert_matches(got, "rosenbrock", name)


def test_trajectories_make_progress():
    # The references are not degenerate: every optimizer lowers the parabola's loss.
    def loss(flat):
        b, w = flat[0], flat[1:]
        return 0.5 * float(np.sum(CURVATURE * w * w)) + 1.5 * float((b - 1) ** 2)

    start = np.concatenate([[parabola_start()["b"]], parabola_start()["w"]])
    for name, traj in TRAJECTORIES["parabola"].items():
        assert loss(np.array(traj[-1])) < loss(start), name


@pytest.mark.parametrize("name", list(schedules(optim)))
def test_schedule_matches_optax_at_chosen_steps(name):
    sched = schedules(optim)[name]
    got = [float(host(fnp.asarray(sched(fnp.array(s, fnp.int32))))) for s in SCHEDULE_STEPS]
    np.testing.assert_allclose(got, SCHEDULES[name], rtol=2e-6, atol=1e-10, err_msg=name)
    # Python ints give the same numbers as the int32 counts kept in optimizer states.
    got_int = [float(host(fnp.asarray(sched(s)))) for s in SCHEDULE_STEPS]
    np.testing.assert_allclose(got_int, SCHEDULES[name], rtol=2e-6, atol=1e-10, err_msg=name)


def test_schedule_state_counts_steps():
    # A schedule as a learning rate is evaluated at the step count kept in the state, which
    # starts at 0: the k-th update (k = 1, 2, …) uses schedule(k - 1), as in optax.
    sched = optim.exponential_decay(1.0, 1, 0.5)
    opt = optim.sgd(sched)
    p = fnp.zeros(1)
    state = opt.init(p)
    for k in range(1, 5):
        updates, state = opt.update(fnp.ones(1), state, p)
        assert float(host(updates)[0]) == pytest.approx(-(0.5 ** (k - 1)))
    assert int(host(state[-1].count)) == 4


# --- regenerating the tables -----------------------------------------------------------------


def _wrap(items: list[str], indent: int) -> str:
    """``items`` joined by commas, in lines of at most 100 columns."""
    lines, line = [], ""
    for item in items:
        if line and indent + len(line) + len(item) + 2 > 99:
            lines.append(line + ",")
            line = ""
        line = f"{line}, {item}" if line else item
    return ("\n" + " " * indent).join([*lines, line])


def _print_references() -> None:  # pragma: no cover - run by hand with optax installed
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_platforms", "cpu")
    print(f"# optax {optax.__version__}, jax {jax.__version__}")
    print("TRAJECTORIES = {")
    for prob in PROBLEMS:
        print(f"    {prob!r}: {{")
        for name, opt in optimizers(optax).items():
            rows = trajectory(optax, jnp.asarray, opt, prob)
            text = [f"[{', '.join(f'{v:.9g}' for v in r)}]" for r in rows]
            print(f"        {name!r}: [\n            {_wrap(text, 12)}],")
        print("    },")
    print("}")
    print("SCHEDULES = {")
    for name, sched in schedules(optax).items():
        vals = [f"{float(sched(jnp.array(s, jnp.int32))):.9g}" for s in SCHEDULE_STEPS]
        print(f"    {name!r}: [\n        {_wrap(vals, 8)}],")
    print("}")


# --- reference numbers: optax 0.2.8, jax 0.10.2, printed by _print_references -------
# fmt: off
TRAJECTORIES = {
    'parabola': {
        'sgd': [
            [-0.495499998, 0.999000013, -1.49399996, 1.99950004],
            [-0.455602676, 0.990044951, -1.44106865, 1.99500573],
            [-0.412519425, 0.980188966, -1.3844527, 1.99002361],
            [-0.370711327, 0.970431089, -1.3300606, 1.98505437],
            [-0.33014074, 0.960770309, -1.27780569, 1.98009706],
            [-0.290770948, 0.951205552, -1.22760367, 1.97515261],
            [-0.252566457, 0.941736102, -1.17937398, 1.97022033]],
        'sgd_momentum': [
            [-0.497750014, 0.999499977, -1.49699998, 1.99975002],
            [-0.40810591, 0.979399621, -1.37800992, 1.98966599],
            [-0.240247145, 0.940457404, -1.15901256, 1.96988118],
            [-0.0620918423, 0.896382511, -0.93423444, 1.94696188],
            [0.102469899, 0.851947188, -0.736225128, 1.923136],
            [0.246419251, 0.808827162, -0.57290566, 1.89918792],
            [0.369297028, 0.767564118, -0.442595899, 1.87539196]],
        'sgd_nesterov': [
            [-0.495725006, 0.999050021, -1.49430001, 1.99952495],
            [-0.395653665, 0.976523817, -1.36172843, 1.98820746],
            [-0.225930378, 0.936770618, -1.141361, 1.96793842],
            [-0.0500323623, 0.892656982, -0.920950353, 1.94488251],
            [0.111113064, 0.848458529, -0.728544712, 1.92104316],
            [0.251732886, 0.805661261, -0.570170164, 1.89712501],
            [0.371813148, 0.764735341, -0.443559647, 1.87337363]],
        'adam': [
            [-0.480000138, 0.980000138, -1.48000014, 1.98000014],
            [-0.300960034, 0.801521838, -1.30096018, 1.80070078],
            [-0.107407816, 0.612070501, -1.10740793, 1.60533559],
            [0.0756044537, 0.440702498, -0.92439574, 1.41736639],
            [0.243949965, 0.295152366, -0.756050289, 1.23951268],
            [0.39475897, 0.180227831, -0.605241179, 1.07364821],
            [0.526399732, 0.0969093964, -0.473600447, 0.920938075]],
        'adam_b': [
            [-0.49000001, 0.99000001, -1.49000001, 1.99000001],
            [-0.400821716, 0.901250541, -1.40082169, 1.900612],
            [-0.303786933, 0.805839539, -1.30378675, 1.80280185],
            [-0.208327577, 0.713051796, -1.20832729, 1.70611322],
            [-0.113959812, 0.622313023, -1.11395967, 1.61015391],
            [-0.0204281267, 0.533423364, -1.02042794, 1.51470351],
            [0.0723594129, 0.446495861, -0.927640319, 1.41966033]],
        'adamw': [
            [-0.479500145, 0.979000151, -1.47850013, 1.97800016],
            [-0.296901524, 0.792545259, -1.28699994, 1.78176033],
            [-0.101402096, 0.596645951, -1.08202755, 1.57002676],
            [0.0815178454, 0.421671122, -0.890425682, 1.3685379],
            [0.247954682, 0.275401741, -0.716455281, 1.18016088],
            [0.395395726, 0.162280738, -0.562924325, 1.00677776],
            [0.52265662, 0.0825067386, -0.431206942, 0.849436104]],
        'nadam': [
            [-0.470526516, 0.970526516, -1.47052646, 1.97052646],
            [-0.28524062, 0.786537588, -1.28524041, 1.78462732],
            [-0.0931747705, 0.599826336, -1.09317458, 1.59016705],
            [0.0874283463, 0.432393491, -0.912571371, 1.40389872],
            [0.253057033, 0.29104045, -0.746942759, 1.22801173],
            [0.401136428, 0.179874614, -0.598863244, 1.06418264],
            [0.530238807, 0.0993312821, -0.469760925, 0.913464129]],
        'rmsprop': [
            [-0.490513176, 0.990513146, -1.49051321, 1.99051321],
            [-0.448310226, 0.948466837, -1.44831014, 1.94823253],
            [-0.415055603, 0.915449619, -1.41505539, 1.91486156],
            [-0.38443327, 0.885101795, -1.38443315, 1.88410652],
            [-0.354603529, 0.855574906, -1.35460341, 1.85413265],
            [-0.325048625, 0.826346695, -1.32504845, 1.82442439],
            [-0.295598149, 0.797244906, -1.29559803, 1.79481339]],
        'rmsprop_centered': [
            [-0.49000001, 0.99000001, -1.49000001, 1.99000001],
            [-0.433203727, 0.933484614, -1.43320358, 1.93306506],
            [-0.358475655, 0.859853089, -1.35847592, 1.8578161],
            [-0.244973466, 0.751027524, -1.24497342, 1.74226487],
            [-0.0786017627, 0.607545614, -1.07860136, 1.56506813],
            [0.107037216, 0.473177344, -0.892962813, 1.34353924],
            [0.265324175, 0.366021931, -0.734675467, 1.1409018]],
        'rmsprop_centered_momentum': [
            [-0.495411694, 0.995411694, -1.49541163, 1.99541163],
            [-0.451540262, 0.951677978, -1.45154011, 1.95147181],
            [-0.411669195, 0.912174523, -1.41166914, 1.91142035],
            [-0.36834833, 0.869517326, -1.36834836, 1.86778009],
            [-0.317101836, 0.819506228, -1.31710172, 1.81595635],
            [-0.254699707, 0.759566069, -1.25469959, 1.75245047],
            [-0.178466201, 0.688634455, -1.17846608, 1.67392182]],
        'adagrad': [
            [-0.450123012, 0.952326894, -1.45006931, 1.95774233],
            [-0.25767982, 0.76658386, -1.25757432, 1.77182579],
            [-0.140463516, 0.65613693, -1.14034998, 1.65310657],
            [-0.0531381033, 0.576014996, -1.05302167, 1.56312549],
            [0.0183605086, 0.512129009, -0.981521964, 1.48848331],
            [0.0795989782, 0.458861172, -0.920283198, 1.42380154],
            [0.133464783, 0.413276821, -0.866417468, 1.36627388]],
        'lion': [
            [-0.496998489, 0.996996999, -1.49699545, 1.99699402],
            [-0.469985396, 0.969970345, -1.46995556, 1.9699403],
            [-0.439971715, 0.939941704, -1.43991184, 1.93988168],
            [-0.409958929, 0.909913838, -1.40986896, 1.90982401],
            [-0.379947037, 0.879886985, -1.37982702, 1.87976706],
            [-0.349936038, 0.849860966, -1.34978616, 1.84971094],
            [-0.319925934, 0.819835901, -1.31974614, 1.8196559]],
        'lion_decay': [
            [-0.498950005, 0.998899996, -1.49884999, 1.99880004],
            [-0.489504695, 0.98900497, -1.48850524, 1.98800576],
            [-0.47901994, 0.978020906, -1.47702205, 1.97602344],
            [-0.468545616, 0.96704787, -1.46554995, 1.96405303],
            [-0.458081722, 0.956085742, -1.45408976, 1.95209455],
            [-0.447628379, 0.94513458, -1.44264066, 1.940148],
            [-0.437185496, 0.934194386, -1.43120313, 1.92821336]],
        'clip_sgd_exponential': [
            [-0.470327884, 0.993406177, -1.46043718, 1.99670315],
            [-0.22659573, 0.935545683, -1.14597797, 1.96704507],
            [0.000131953508, 0.874338984, -0.871813357, 1.93413448],
            [0.187348783, 0.816345334, -0.660621226, 1.90131617],
            [0.341076732, 0.761603892, -0.498996347, 1.86869216],
            [0.466388971, 0.71024251, -0.376284331, 1.83644104],
            [0.567593396, 0.662484109, -0.283993036, 1.80484056]],
        'clip_adamw_warmup_cosine': [
            [-0.5, 1, -1.5, 2], [-0.274076343, 0.773676097, -1.27184212, 1.77038813],
            [0.213065863, 0.30354315, -0.780182302, 1.26875842],
            [0.615573585, -0.0111390091, -0.374967635, 0.834223509],
            [0.87815541, -0.0666841269, -0.112664707, 0.518901944],
            [0.988149762, -0.00576063525, -0.0055299229, 0.353751212],
            [1.00250506, 0.00484886672, 0.00753509253, 0.316543877]],
        'adam_piecewise': [
            [-0.470000207, 0.970000207, -1.47000015, 1.97000015],
            [-0.202282742, 0.703725338, -1.20228255, 1.70164239],
            [0.0818942338, 0.430863708, -0.918105781, 1.41275907],
            [0.212293714, 0.315936297, -0.787706316, 1.27623379],
            [0.332128674, 0.221248016, -0.667871296, 1.14666414],
            [0.354349166, 0.205686271, -0.645650804, 1.12187636],
            [0.375898272, 0.191720828, -0.624101818, 1.09746325]],
        'sgd_momentum_cosine': [
            [-0.497750014, 0.999499977, -1.49699998, 1.99975002],
            [-0.430130661, 0.984346092, -1.40722084, 1.99214923],
            [-0.340848625, 0.963766754, -1.29035211, 1.98171842],
            [-0.273136199, 0.947543502, -1.20345521, 1.97337782],
            [-0.230460867, 0.936973155, -1.14961815, 1.96787715],
            [-0.207910851, 0.931259513, -1.12149966, 1.96487916],
            [-0.196715727, 0.928385317, -1.10763323, 1.96336389]],
        'lion_linear': [
            [-0.497000009, 0.996999979, -1.49699998, 1.99699998],
            [-0.470580041, 0.970579922, -1.47057986, 1.97057986],
            [-0.446090043, 0.946089864, -1.44608986, 1.94608986],
            [-0.427400023, 0.927399933, -1.42739987, 1.92739987],
            [-0.414510041, 0.914509952, -1.41450989, 1.91450989],
            [-0.407420039, 0.90741992, -1.40741992, 1.90741992],
            [-0.405550092, 0.905549824, -1.40554988, 1.90554988]],
    },
    'rosenbrock': {
        'sgd': [
            [-0.984400034, 1.08800006], [-1.0214113, 1.05126226], [-1.01356125, 1.03529406],
            [-1.00564337, 1.01931274], [-0.997656167, 1.00331843], [-0.989598215, 0.987311482],
            [-0.981467724, 0.971292019]],
        'sgd_momentum': [
            [-1.09220004, 1.04400003], [-0.969639242, 0.93323487], [-0.833487153, 0.772134662],
            [-0.759050369, 0.623031378], [-0.701963365, 0.501115143], [-0.643242717, 0.400367886],
            [-0.570978165, 0.31894204]],
        'sgd_nesterov': [
            [-0.995180011, 1.08360004], [-0.983962297, 0.984907985], [-0.943226218, 0.897853017],
            [-0.898980081, 0.816150486], [-0.853040457, 0.735666275], [-0.804744005, 0.655587733],
            [-0.753544867, 0.575766563]],
        'adam': [
            [-1.18000019, 1.01999986], [-1.0331403, 1.16661751], [-1.0297935, 1.15340912],
            [-1.07185411, 1.09197831], [-1.04717672, 1.10304403], [-1.03508222, 1.0999217],
            [-1.04125452, 1.07592368]],
        'adam_b': [
            [-1.19000006, 1.00999999], [-1.11327088, 1.08736873], [-1.070135, 1.1297338],
            [-1.06070364, 1.13193655], [-1.05637765, 1.12224197], [-1.04871976, 1.10615432],
            [-1.03585732, 1.07939649]],
        'adamw': [
            [-1.17880023, 1.01899981], [-1.0235424, 1.15423107], [-1.0144403, 1.12408817],
            [-1.04934776, 1.04775953], [-1.0184989, 1.04416883], [-0.998584449, 1.02817333],
            [-0.99773246, 0.990263999]],
        'nadam': [
            [-1.1705265, 1.02947354], [-1.03842819, 1.16100824], [-1.04043913, 1.14227498],
            [-1.06341362, 1.10105276], [-1.04558909, 1.10397542], [-1.0396713, 1.09248102],
            [-1.03634894, 1.07661653]],
        'rmsprop': [
            [-1.19051325, 1.00948679], [-1.15224457, 1.04802585], [-1.12562418, 1.07493734],
            [-1.10393631, 1.09676456], [-1.08605194, 1.11440015], [-1.07259572, 1.12668288],
            [-1.0643481, 1.1317265]],
        'rmsprop_centered': [
            [-1.19000006, 1.00999999], [-1.1406008, 1.05987775], [-1.09892285, 1.10234594],
            [-1.07589877, 1.12444353], [-1.06581044, 1.13149238], [-1.06123567, 1.13093638],
            [-1.05807292, 1.12588012]],
        'rmsprop_centered_momentum': [
            [-1.19541168, 1.00458837], [-1.15495372, 1.04528952], [-1.12499535, 1.07573712],
            [-1.10102522, 1.10014021], [-1.08394289, 1.11710179], [-1.07345784, 1.1266247],
            [-1.06739521, 1.13101113]],
        'adagrad': [
            [-1.1500001, 1.04999971], [-1.06876016, 1.13063848], [-1.06105971, 1.13109219],
            [-1.05820167, 1.12603426], [-1.0556277, 1.12065184], [-1.05306745, 1.1152544],
            [-1.05050457, 1.10986102]],
        'lion': [
            [-1.19699645, 1.00299704], [-1.16996443, 1.02996957], [-1.13992965, 1.05993831],
            [-1.10989594, 1.08990622], [-1.07986307, 1.11987305], [-1.04983103, 1.14983892],
            [-1.01979983, 1.17980409]],
        'lion_decay': [
            [-1.19888008, 1.00090003], [-1.1888051, 1.00899589], [-1.17762148, 1.01798272],
            [-1.16644871, 1.02696073], [-1.15528738, 1.03592968], [-1.14413714, 1.04488981],
            [-1.13299787, 1.05384088]],
        'clip_sgd_exponential': [
            [-1.15370762, 1.01889479], [-1.00894749, 1.04651308], [-0.987380028, 1.00148392],
            [-0.966703415, 0.960236192], [-0.947222114, 0.922072887], [-0.928419232, 0.885295272],
            [-0.909594357, 0.848271668]],
        'clip_adamw_warmup_cosine': [
            [-1.20000005, 1], [-1.00734341, 1.16721344], [-1.06508172, 1.01064134],
            [-0.97753489, 1.00743234], [-0.95982033, 0.947759509], [-0.946879447, 0.894682646],
            [-0.933121681, 0.880501091]],
        'adam_piecewise': [
            [-1.1700002, 1.02999985], [-1.00037277, 1.19335735], [-1.06865275, 1.09341621],
            [-1.06081235, 1.08950651], [-1.03413713, 1.10578465], [-1.03508711, 1.10218871],
            [-1.03860927, 1.09568119]],
        'sgd_momentum_cosine': [
            [-1.09220004, 1.04400003], [-0.990808308, 0.995805502], [-0.9552719, 0.946554899],
            [-0.949339509, 0.911740005], [-0.942382932, 0.89215064], [-0.935038328, 0.883464277],
            [-0.93292582, 0.878209591]],
        'lion_linear': [
            [-1.19700003, 1.00300002], [-1.17057991, 1.02942014], [-1.14608991, 1.05391014],
            [-1.12739992, 1.07260013], [-1.11450994, 1.08549011], [-1.10741997, 1.09258008],
            [-1.10554993, 1.09445012]],
    },
}
SCHEDULES = {
    'constant': [
        0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003,
        0.0003],
    'linear': [
        0.000999999931, 0.000999999931, 0.000999999931, 0.000999999931, 0.000999999931,
        0.000999999931, 0.000998899923, 0.000834999955, 1.1099979e-05, 9.99999975e-06,
        9.99999975e-06, 9.99999975e-06],
    'polynomial': [
        0.00999999978, 0.00999999978, 0.00999999978, 0.0099111665, 0.00751127163, 0.0074868123,
        0.00746240653, 0.00439460063, 0.000100005069, 0.000100003395, 0.000100002137,
        9.99999975e-05],
    'exponential': [
        0.00100000005, 0.000998946954, 0.000992651912, 0.000989519292, 0.000900948769,
        0.000900000043, 0.000899052247, 0.000768433441, 0.000349045935, 0.000348678353,
        0.00034831118, 5.1537686e-06],
    'exponential_staircase': [
        0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00100000005, 0.000250000012, 9.99999975e-06, 9.99999975e-06, 9.99999975e-06,
        9.99999975e-06],
    'cosine': [
        0.00100000005, 0.000999997719, 0.000999885146, 0.000999765587, 0.000977210701,
        0.000976751908, 0.000976288517, 0.000860875763, 5.00023525e-05, 5.00000024e-05,
        5.00000024e-05, 5.00000024e-05],
    'cosine_exponent': [
        0.00200000009, 0.00199999264, 0.00199963734, 0.00199925969, 0.0019284673, 0.00192703574,
        0.00192559068, 0.00157716114, 7.78076562e-12, 0, 0, 0],
    'warmup_cosine': [
        0, 9.99995973e-06, 7.00000091e-05, 0.000100000005, 0.000990000088, 0.00100000005,
        0.000999997021, 0.000933682662, 1.00030093e-05, 1.00000007e-05, 1.00000007e-05,
        1.00000007e-05],
    'warmup_exponential': [
        1.00000761e-05, 1.99000351e-05, 7.930008e-05, 0.000109000073, 0.000990100089, 0.00100000005,
        0.000997231342, 0.000659753976, 9.99999975e-05, 9.99999975e-05, 9.99999975e-05,
        9.99999975e-05],
    'piecewise': [
        0.100000001, 0.100000001, 0.100000001, 0.100000001, 0.100000001, 0.0100000007, 0.0100000007,
        0.00500000035, 0.00500000035, 0.000500000024, 0.000500000024, 0.000500000024],
    'join': [
        0, 0.100000024, 0.699999988, 1, 0.539614141, 0.535886765, 0.532185078, 0.189464554,
        0.00105393352, 0.00104665407, 0.0010394241, 9.51925061e-16],
}
# fmt: on


if __name__ == "__main__":
    _print_references()

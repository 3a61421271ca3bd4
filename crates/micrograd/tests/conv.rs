//! Conv2d, MaxPool2d and AvgPool2d against PyTorch (fixture `fixtures/conv_torch.json`, written by
//! `scripts/gen_conv_fixtures.py`): outputs and the gradients of input, weight and bias, to 1e-12.
//! Then the layers composed: `Sequential` gradients against finite differences, shape errors, the
//! architecture grammar's errors and columns, and the initializations' statistics.

use micrograd::nn::{
    Activation, AnyLayer, ArchError, Architecture, AvgPool2d, Chw, Conv2d, Flatten, Init, Linear,
    MaxPool2d, Module, Sequential,
};
use micrograd::{Op, Tape, Value};
use rand::SeedableRng;
use serde_json::Value as Json;

/// Agreement with PyTorch: `|ours - torch| <= TOL · max(1, |torch|)`.
const TOL: f64 = 1e-12;

fn fixture() -> Json {
    serde_json::from_str(include_str!("fixtures/conv_torch.json")).expect("valid JSON")
}

fn f64s(j: &Json) -> Vec<f64> {
    j.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn int(j: &Json, k: &str) -> usize {
    j[k].as_u64().unwrap_or_else(|| panic!("{k}")) as usize
}

fn values(xs: &[f64]) -> Vec<Value> {
    xs.iter().map(|&x| Value::new(x)).collect()
}

fn assert_close(what: &str, case: usize, ours: &[f64], torch: &[f64]) {
    assert_eq!(ours.len(), torch.len(), "case {case}: {what} length");
    for (i, (&a, &b)) in ours.iter().zip(torch).enumerate() {
        assert!(
            (a - b).abs() <= TOL * b.abs().max(1.0),
            "case {case}: {what}[{i}] = {a}, torch {b} (diff {:e})",
            (a - b).abs()
        );
    }
}

/// `Σ yᵢ·gᵢ` as one node, so that `backward` gives the gradients PyTorch computed.
fn weighted_sum(y: &[Value], g: &[f64]) -> Value {
    Value::dot(y, &values(g))
}

fn grads(vs: &[Value]) -> Vec<f64> {
    vs.iter().map(|v| v.grad()).collect()
}

fn datas(vs: &[Value]) -> Vec<f64> {
    vs.iter().map(|v| v.data()).collect()
}

#[test]
fn conv2d_matches_torch() {
    let fx = fixture();
    let cases = fx["conv"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for (n, c) in cases.iter().enumerate() {
        let (cin, cout) = (int(c, "in_channels"), int(c, "out_channels"));
        let (k, s, p) = (int(c, "kernel"), int(c, "stride"), int(c, "padding"));
        let (h, w) = (int(c, "height"), int(c, "width"));
        let conv = Conv2d::from_weights(cin, cout, k, s, p, &f64s(&c["weight"]), &f64s(&c["bias"]))
            .unwrap();
        let shape = conv.output_shape(Chw::new(cin, h, w)).unwrap();
        assert_eq!(
            shape,
            Chw::new(cout, int(c, "out_height"), int(c, "out_width")),
            "case {n}"
        );
        let mark = Tape::mark();
        let x = values(&f64s(&c["x"]));
        let y = conv.forward(&x, h, w);
        assert!(
            y.iter().all(|v| v.op() == Op::Affine),
            "one affine node each"
        );
        assert_close("y", n, &datas(&y), &f64s(&c["y"]));
        weighted_sum(&y, &f64s(&c["g"])).backward();
        assert_close("grad_x", n, &grads(&x), &f64s(&c["grad_x"]));
        assert_close(
            "grad_weight",
            n,
            &grads(conv.weight()),
            &f64s(&c["grad_weight"]),
        );
        assert_close("grad_bias", n, &grads(conv.bias()), &f64s(&c["grad_bias"]));
        // parameters(): the weights in (out, in, kh, kw) order, then the biases.
        let mut want = f64s(&c["weight"]);
        want.extend(f64s(&c["bias"]));
        assert_eq!(datas(&conv.parameters()), want);
        conv.zero_grad();
        Tape::rewind(mark);
    }
}

/// A padding larger than the kernel (PyTorch allows it for convolutions): windows wholly in the
/// padding give the bias alone. Hand-derived: a 1×1 kernel w = 2, bias 0.5, padding 2 on a 2×2
/// input, stride 1, gives 6×6 outputs, 2·x + 0.5 in the middle four and 0.5 elsewhere; with every
/// output's upstream gradient 1, dL/dw = Σx = 10, dL/db = 36, dL/dx = 2 each.
#[test]
fn padding_wider_than_the_kernel_gives_the_bias_outside_the_input() {
    let conv = Conv2d::from_weights(1, 1, 1, 1, 2, &[2.0], &[0.5]).unwrap();
    assert_eq!(
        conv.output_shape(Chw::new(1, 2, 2)).unwrap(),
        Chw::new(1, 6, 6)
    );
    let x = values(&[1.0, 2.0, 3.0, 4.0]);
    let y = conv.forward(&x, 2, 2);
    let mut want = vec![0.5; 36];
    for (i, v) in [(14, 2.5), (15, 4.5), (20, 6.5), (21, 8.5)] {
        want[i] = v;
    }
    assert_eq!(datas(&y), want);
    weighted_sum(&y, &[1.0; 36]).backward();
    assert_eq!(grads(conv.weight()), [10.0]);
    assert_eq!(grads(conv.bias()), [36.0]);
    assert_eq!(grads(&x), [2.0; 4]);
    // and with a stride that lands windows on both sides of the input
    let conv = Conv2d::from_weights(1, 1, 1, 3, 2, &[2.0], &[0.5]).unwrap();
    let y = conv.forward(&values(&[1.0, 2.0, 3.0, 4.0]), 2, 2);
    assert_eq!(datas(&y), [0.5, 0.5, 0.5, 8.5]);
}

#[test]
fn pooling_matches_torch() {
    let fx = fixture();
    let cases = fx["pool"].as_array().unwrap();
    let mut kinds = (0, 0, 0);
    for (n, c) in cases.iter().enumerate() {
        let (ch, k, s, p) = (
            int(c, "channels"),
            int(c, "kernel"),
            int(c, "stride"),
            int(c, "padding"),
        );
        let (h, w) = (int(c, "height"), int(c, "width"));
        let out = Chw::new(ch, int(c, "out_height"), int(c, "out_width"));
        let mark = Tape::mark();
        let x = values(&f64s(&c["x"]));
        let y = if c["kind"] == "max" {
            kinds.0 += 1;
            kinds.2 += usize::from(c["ties"] == true);
            let pool = MaxPool2d::new(k, s).padding(p);
            assert_eq!(pool.output_shape(Chw::new(ch, h, w)).unwrap(), out);
            pool.forward(&x, ch, h, w)
        } else {
            kinds.1 += 1;
            let pool = AvgPool2d::new(k, s).padding(p);
            assert_eq!(pool.output_shape(Chw::new(ch, h, w)).unwrap(), out);
            pool.forward(&x, ch, h, w)
        };
        assert_close("y", n, &datas(&y), &f64s(&c["y"]));
        weighted_sum(&y, &f64s(&c["g"])).backward();
        assert_close("grad_x", n, &grads(&x), &f64s(&c["grad_x"]));
        Tape::rewind(mark);
    }
    assert!(kinds.0 >= 5 && kinds.1 >= 5 && kinds.2 >= 1, "{kinds:?}");
}

#[test]
fn maxpool_returns_the_winning_input_itself() {
    let x = values(&[1.0, 2.0, 2.0, 0.0]);
    let y = MaxPool2d::new(2, 2).forward(&x, 1, 2, 2);
    assert_eq!(y, vec![x[1]], "a tie goes to the first maximum");
    let x = values(&[1.0, f64::NAN, 3.0, 0.0]);
    let y = MaxPool2d::new(2, 2).forward(&x, 1, 2, 2);
    assert!(y[0].data().is_nan(), "NaN propagates, as in PyTorch");
}

/// A small CNN: conv, tanh, avgpool, conv (stride 2), relu, maxpool, flatten, linear.
fn small_cnn(rng: &mut rand::rngs::StdRng) -> Sequential {
    "conv(3,3,pad=1) tanh avgpool(2,stride=1) conv(4,2,stride=2,pad=1) sigmoid maxpool(2) flatten linear(3)"
        .parse::<Architecture>()
        .unwrap()
        .build(Chw::new(2, 7, 6), Init::Xavier, rng)
        .unwrap()
}

#[test]
fn sequential_gradients_match_finite_differences() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let model = small_cnn(&mut rng);
    assert_eq!(
        model.shapes(),
        &[
            Chw::new(2, 7, 6),
            Chw::new(3, 7, 6),
            Chw::new(3, 7, 6),
            Chw::new(3, 6, 5),
            Chw::new(4, 4, 3),
            Chw::new(4, 4, 3),
            Chw::new(4, 2, 1),
            Chw::flat(8),
            Chw::flat(3),
        ]
    );
    let xs: Vec<f64> = (0..84)
        .map(|i| ((i * 37 % 17) as f64 - 8.0) / 5.0)
        .collect();
    let params = model.parameters();
    let loss_at = |shift: Option<(usize, f64)>| -> f64 {
        let mark = Tape::mark();
        let old = shift.map(|(i, h)| {
            let o = params[i].data();
            params[i].set_data(o + h);
            o
        });
        let out = model.forward(&values(&xs));
        let l = micrograd::loss::softmax_cross_entropy(&out, 1).data();
        if let (Some((i, _)), Some(o)) = (shift, old) {
            params[i].set_data(o);
        }
        Tape::rewind(mark);
        l
    };
    let mark = Tape::mark();
    let out = model.forward(&values(&xs));
    micrograd::loss::softmax_cross_entropy(&out, 1).backward();
    let analytic = grads(&params);
    Tape::rewind(mark);
    model.zero_grad();
    let h = 1e-6;
    let mut checked = 0;
    for (i, &g) in analytic.iter().enumerate() {
        let fd = (loss_at(Some((i, h))) - loss_at(Some((i, -h)))) / (2.0 * h);
        assert!(
            (fd - g).abs() <= 1e-7 * g.abs().max(1.0),
            "parameter {i}: finite difference {fd}, backward {g}"
        );
        checked += usize::from(g != 0.0);
    }
    assert!(checked > params.len() / 2, "most gradients are non-zero");
}

#[test]
fn same_seed_same_bits() {
    let a = small_cnn(&mut rand::rngs::StdRng::seed_from_u64(9));
    let b = small_cnn(&mut rand::rngs::StdRng::seed_from_u64(9));
    let c = small_cnn(&mut rand::rngs::StdRng::seed_from_u64(10));
    let bits = |m: &Sequential| -> Vec<u64> {
        m.parameters().iter().map(|p| p.data().to_bits()).collect()
    };
    assert_eq!(bits(&a), bits(&b));
    assert_ne!(bits(&a), bits(&c));
    let x: Vec<f64> = (0..84).map(|i| i as f64 / 84.0).collect();
    let (ya, yb) = (a.predict(&x), b.predict(&x));
    assert_eq!(
        ya.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        yb.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn shape_errors_name_the_layer_and_the_sizes() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let err = Sequential::new(
        Chw::new(1, 8, 8),
        vec![
            Conv2d::new(1, 4, 5, 1, 0, &mut rng).into(),
            AnyLayer::from(MaxPool2d::new(2, 2)),
            Conv2d::new(3, 2, 3, 1, 0, &mut rng).into(),
        ],
    )
    .unwrap_err();
    assert_eq!(err.layer, Some(2));
    assert_eq!(err.input, Chw::new(4, 2, 2));
    assert_eq!(
        err.to_string(),
        "layer 3 (conv(2,3)): expects 3 input channels, got 4 (4×2×2)"
    );
    let err = Sequential::new(
        Chw::new(2, 4, 4),
        vec![Flatten.into(), Linear::new(31, 2, &mut rng).into()],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer 2 (linear(2)): expects 31 inputs, got 32"
    );
    let err = MaxPool2d::new(2, 2)
        .padding(2)
        .output_shape(Chw::new(1, 4, 4))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "maxpool(2,pad=2): padding 2 is more than half the kernel size 2"
    );
    let err = Conv2d::new(1, 1, 3, 1, 0, &mut rng)
        .output_shape(Chw::new(1, 2, 9))
        .unwrap_err();
    assert!(
        err.to_string().contains("height 2 + 2·padding 0 < 3"),
        "{err}"
    );
}

#[test]
#[should_panic(expected = "conv(2,3): expects 18 values (2×3×3), got 17")]
fn conv_forward_with_the_wrong_length_panics_with_the_sizes() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let conv = Conv2d::new(2, 2, 3, 1, 0, &mut rng);
    conv.forward(&values(&[0.0; 17]), 3, 3);
}

#[test]
fn layers_added_one_by_one_compose() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let conv = Conv2d::new(1, 2, 3, 1, 1, &mut rng);
    let lin = Linear::new(2 * 2 * 2, 2, &mut rng);
    let (cw, lw) = (datas(&conv.parameters()), datas(&lin.parameters()));
    let model = Sequential::new(
        Chw::new(1, 4, 4),
        vec![
            conv.clone().into(),
            Activation::Relu.into(),
            MaxPool2d::new(2, 2).into(),
            Flatten.into(),
            lin.clone().into(),
        ],
    )
    .unwrap();
    // The same numbers by hand, layer by layer.
    let x = values(&(0..16).map(|i| (i as f64 - 7.5) / 4.0).collect::<Vec<_>>());
    let h: Vec<Value> = conv.forward(&x, 4, 4).iter().map(|v| v.relu()).collect();
    let h = MaxPool2d::new(2, 2).forward(&h, 2, 4, 4);
    let y = lin.forward(&h);
    assert_eq!(datas(&model.forward(&x)), datas(&y));
    let mut all = cw;
    all.extend(lw);
    assert_eq!(datas(&model.parameters()), all);
}

fn arch_err(text: &str) -> ArchError {
    text.parse::<Architecture>().unwrap_err()
}

#[test]
fn architecture_round_trips_and_reports_columns() {
    let a: Architecture = "Conv2d(8, 3, pad=1)  relu MaxPool(2) flatten dense(10)"
        .parse()
        .unwrap();
    assert_eq!(
        a.to_string(),
        "conv(8,3,pad=1) relu maxpool(2) flatten linear(10)"
    );
    assert_eq!(a.columns(), &[1, 22, 27, 38, 46]);
    assert_eq!(
        a.to_string().parse::<Architecture>().unwrap().layers(),
        a.layers()
    );
    let b: Architecture = "conv(4,3,2,1) avgpool(3,1,1) maxpool(2,stride=1) identity"
        .parse()
        .unwrap();
    assert_eq!(
        b.to_string(),
        "conv(4,3,stride=2,pad=1) avgpool(3,stride=1,pad=1) maxpool(2,stride=1) identity"
    );

    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "no layers"),
        ("conv(8,3) relu softmax", 16, "unknown layer `softmax`"),
        // the whole name, not `lin` (the name stopped at the first letter that is not ASCII)
        ("linéar(10)", 1, "unknown layer `linéar`"),
        ("relu réLU", 6, "unknown layer `rélu`"),
        ("conv(8)", 5, "needs its kernel size (missing)"),
        ("conv(8,3", 5, "never closed"),
        ("linear(0)", 8, "output size must be at least 1"),
        ("linear(10,2)", 11, "takes at most 1 arguments"),
        ("linear(stride=2)", 8, "has no named arguments"),
        ("maxpool(2,pad=1,pad=1)", 17, "`pad` is given twice"),
        ("maxpool(2,stride=0)", 11, "stride must be at least 1"),
        ("maxpool(x)", 10, "expected `=` after `x`"),
        ("conv(8,3),relu", 10, "expected a space"),
        ("relu(2)", 5, "takes no arguments"),
        ("linear", 7, "needs its arguments"),
        ("conv(8,,3)", 8, "expected a whole number, found `,`"),
        (
            "conv(8,3,stride=2,1)",
            19,
            "plain argument after a named one",
        ),
        ("linear(99999999999)", 8, "too large"),
        ("relu ?", 6, "expected a layer name, found `?`"),
    ];
    for &(text, column, msg) in cases {
        let e = arch_err(text);
        assert_eq!(e.column, column, "{text:?}: {e}");
        assert!(e.message.contains(msg), "{text:?}: {e}");
    }
    assert_eq!(
        arch_err("relu lineer(3)").pointed("relu lineer(3)").lines().nth(1).unwrap(),
        "     ^ column 6: unknown layer `lineer` (expected conv, linear, maxpool, avgpool, flatten, \
         relu, tanh, sigmoid or identity)"
    );
}

#[test]
fn architecture_shape_errors_point_at_the_layer() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let arch: Architecture = "conv(8,5) relu maxpool(2) conv(4,3) flatten linear(10)"
        .parse()
        .unwrap();
    let e = arch
        .build(Chw::new(1, 8, 8), Init::Kaiming, &mut rng)
        .unwrap_err();
    assert_eq!(e.column, 27);
    assert_eq!(
        e.to_string(),
        "column 27: layer 4 (conv(4,3)): the 3×3 window does not fit the 2×2 input \
         (height 2 + 2·padding 0 < 3)"
    );
    let ok = arch
        .build(Chw::new(1, 10, 10), Init::Kaiming, &mut rng)
        .unwrap();
    assert_eq!(ok.output_shape(), Chw::flat(10));
    let e = arch
        .build(Chw::new(1, 6, 6), Init::Kaiming, &mut rng)
        .unwrap_err();
    assert_eq!(e.column, 27);
    assert!(e.message.contains("does not fit the 1×1 input"), "{e}");
}

#[test]
fn initializations_have_their_variance() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let (fan_in, fan_out, n) = (50usize, 30usize, 200_000usize);
    let var = |init: Init, rng: &mut rand::rngs::StdRng| {
        let w = init.weights(n, fan_in, fan_out, rng);
        let mean = w.iter().sum::<f64>() / n as f64;
        (
            mean,
            w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64,
        )
    };
    let want = [
        (Init::Uniform, 1.0f64 / 3.0),
        (Init::Kaiming, 2.0 / 50.0),
        (Init::KaimingUniform, 2.0 / 50.0),
        (Init::Xavier, 2.0 / 80.0),
        (Init::XavierNormal, 2.0 / 80.0),
    ];
    for (init, v) in want {
        let (mean, got) = var(init, &mut rng);
        assert!(mean.abs() < 0.01 * v.sqrt() * 3.0, "{init}: mean {mean}");
        assert!(
            (got / v - 1.0).abs() < 0.02,
            "{init}: variance {got}, want {v}"
        );
        assert_eq!(init.name().parse::<Init>().unwrap(), init);
    }
    // Conv2d's fan-in is in·k·k: Kaiming-uniform weights are bounded by √(6 / (in·k·k)).
    let conv = Conv2d::with_init(3, 16, 3, 1, 0, Init::KaimingUniform, &mut rng);
    let bound = (6.0f64 / 27.0).sqrt();
    assert!(conv.weight().iter().all(|w| w.data().abs() <= bound));
    assert!(conv.weight().iter().any(|w| w.data().abs() > 0.9 * bound));
    assert!(conv.bias().iter().all(|b| b.data() == 0.0));
    assert!("bogus".parse::<Init>().is_err());
}

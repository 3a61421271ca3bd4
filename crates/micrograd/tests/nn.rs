//! The nn module: micrograd's init, parameter order, the neuron's arithmetic bit for bit, gradients
//! checked by finite differences, and the repr.

use micrograd::nn::{
    Activation, Layer, LayerWeights, MlpWeights, ModelError, Module, Neuron, NeuronWeights, MLP,
};
use micrograd::{Tape, Value};
use rand::SeedableRng;

/// A model whose parameters are 1, 2, 3, ... in micrograd's order.
fn counting_model() -> MLP {
    let mut next = 0.0;
    let mut neuron = |nin: usize| {
        let w = (0..nin)
            .map(|_| {
                next += 1.0;
                next
            })
            .collect();
        next += 1.0;
        NeuronWeights { w, b: next }
    };
    let l0 = LayerWeights {
        activation: Activation::Relu,
        neurons: (0..3).map(|_| neuron(2)).collect(),
    };
    let l1 = LayerWeights {
        activation: Activation::Linear,
        neurons: (0..1).map(|_| neuron(3)).collect(),
    };
    MLP::from_weights(&MlpWeights {
        nin: 2,
        layers: vec![l0, l1],
    })
    .unwrap()
}

#[test]
fn parameters_are_in_micrograds_order() {
    let m = counting_model();
    let p: Vec<f64> = m.parameters().iter().map(|v| v.data()).collect();
    assert_eq!(p, (1..=13).map(f64::from).collect::<Vec<_>>());
    // neuron 1 of layer 0: weights 4, 5 then bias 6
    let n = &m.layers()[0].neurons()[1];
    assert_eq!(
        n.weights().iter().map(|v| v.data()).collect::<Vec<_>>(),
        [4.0, 5.0]
    );
    assert_eq!(n.bias().data(), 6.0);
    assert_eq!(m.num_parameters(), 13);
    assert_eq!(m.to_weights().flat(), p);
}

#[test]
fn micrograd_init_uniform_weights_zero_bias_seeded() {
    let a = MLP::seeded(2, &[16, 16, 1], 42);
    let b = MLP::seeded(2, &[16, 16, 1], 42);
    let c = MLP::seeded(2, &[16, 16, 1], 43);
    assert_eq!(a.to_weights(), b.to_weights());
    assert_ne!(a.to_weights(), c.to_weights());
    let w = a.to_weights();
    let mut weights = Vec::new();
    for l in &w.layers {
        for n in &l.neurons {
            assert_eq!(n.b, 0.0);
            weights.extend_from_slice(&n.w);
        }
    }
    assert_eq!(weights.len(), 32 + 256 + 16);
    assert!(weights.iter().all(|&x| (-1.0..1.0).contains(&x)));
    // spread over the whole interval, both signs
    assert!(weights.iter().any(|&x| x < -0.9) && weights.iter().any(|&x| x > 0.9));
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    assert!(mean.abs() < 0.1, "{mean}");
    // MLP::new with any Rng draws the same as seeded with StdRng
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    assert_eq!(MLP::new(2, &[16, 16, 1], &mut rng).to_weights(), w);
    let acts: Vec<Activation> = w.layers.iter().map(|l| l.activation).collect();
    assert_eq!(
        acts,
        [Activation::Relu, Activation::Relu, Activation::Linear]
    );
}

#[test]
fn neuron_is_micrograds_sum_bit_for_bit() {
    // micrograd: act = sum((wi*xi for wi, xi in zip(self.w, x)), self.b), i.e. ((b + w0x0) + w1x1) + ...
    let ws = [0.1, -0.7, 0.30000000000000004, 1e-8, -3.3];
    let xs = [0.2, 0.9, -1.1, 12345.678, 0.333];
    let b = 0.7;
    let n = Neuron::from_weights(&ws, b, Activation::Linear);
    let x: Vec<Value> = xs.iter().map(|&v| Value::new(v)).collect();
    let out = n.forward(&x);
    let mut chained = n.bias();
    for (w, xi) in n.weights().iter().zip(&x) {
        chained += *w * *xi;
    }
    assert_eq!(out.data().to_bits(), chained.data().to_bits());
    let mut plain = b;
    for i in 0..5 {
        plain += ws[i] * xs[i];
    }
    assert_eq!(out.data().to_bits(), plain.to_bits());
    // and the gradients agree too: d/dw_i = x_i, d/dx_i = w_i, d/db = 1
    out.backward();
    for (i, w) in n.weights().iter().enumerate() {
        assert_eq!(w.grad(), xs[i]);
        assert_eq!(x[i].grad(), ws[i]);
    }
    assert_eq!(n.bias().grad(), 1.0);
    assert_eq!(n.to_string(), "LinearNeuron(5)");
}

#[test]
fn activations_apply_per_layer() {
    let neuron = |act: Activation| Neuron::from_weights(&[2.0], -1.0, act);
    let x = [Value::new(0.25)]; // z = -0.5
    assert_eq!(neuron(Activation::Relu).forward(&x).data(), 0.0);
    assert_eq!(neuron(Activation::Linear).forward(&x).data(), -0.5);
    assert_eq!(
        neuron(Activation::Tanh).forward(&x).data(),
        (-0.5f64).tanh()
    );
    let s = neuron(Activation::Sigmoid).forward(&x).data();
    assert!((s - 1.0 / (1.0 + 0.5f64.exp())).abs() < 1e-15);
    for act in [
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Linear,
    ] {
        assert!((act.apply_f64(-0.5) - neuron(act).forward(&x).data()).abs() < 1e-15);
        assert_eq!(act.name().parse::<Activation>().unwrap(), act);
    }
    assert!("swish".parse::<Activation>().is_err());
}

#[test]
fn gradients_match_finite_differences() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let acts = [Activation::Tanh, Activation::Sigmoid, Activation::Linear];
    let model = MLP::with_activations(3, &[4, 3, 2], &acts, &mut rng);
    let xs = [0.3, -0.8, 0.5];
    // f = out0 * out1 + out0 (a scalar using both outputs)
    let f = |m: &MLP| {
        let o = m.predict(&xs);
        o[0] * o[1] + o[0]
    };
    let x: Vec<Value> = xs.iter().map(|&v| Value::new(v)).collect();
    let o = model.forward(&x);
    let y = o[0] * o[1] + o[0];
    model.zero_grad();
    y.backward();
    let params = model.parameters();
    let h = 1e-6;
    for (i, p) in params.iter().enumerate() {
        let v = p.data();
        p.set_data(v + h);
        let up = f(&model);
        p.set_data(v - h);
        let down = f(&model);
        p.set_data(v);
        let numeric = (up - down) / (2.0 * h);
        assert!(
            (numeric - p.grad()).abs() < 1e-7 * (1.0 + numeric.abs()),
            "parameter {i}: backprop {} vs finite difference {numeric}",
            p.grad()
        );
    }
    model.zero_grad();
    assert!(params.iter().all(|p| p.grad() == 0.0));
}

#[test]
fn predict_leaves_no_nodes_and_repr_is_micrograds() {
    let m = counting_model();
    let before = Tape::len();
    // relu(1+2*1+3*?)... computed by hand: layer 0 with x = (1, -1)
    // n0: 3 + 1 - 2 = 2; n1: 6 + 4 - 5 = 5; n2: 9 + 7 - 8 = 8; out: 13 + 10*2 + 11*5 + 12*8 = 184
    assert_eq!(m.predict(&[1.0, -1.0]), vec![184.0]);
    assert_eq!(Tape::len(), before);
    assert_eq!(
        m.to_string(),
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]"
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let l = Layer::new(2, 2, Activation::Relu, &mut rng);
    assert_eq!(l.to_string(), "Layer of [ReLUNeuron(2), ReLUNeuron(2)]");
    assert_eq!((l.nin(), l.nout(), l.parameters().len()), (2, 2, 6));
}

#[test]
fn set_parameters_and_shape_errors() {
    let m = counting_model();
    let vals: Vec<f64> = (0..13).map(|i| -(i as f64)).collect();
    m.set_parameters(&vals).unwrap();
    assert_eq!(m.to_weights().flat(), vals);
    let err = m.set_parameters(&[1.0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`parameters`: the model has 13 parameters, got 1 values"
    );
    assert_eq!(m.to_weights().flat(), vals, "unchanged after an error");

    let mut w = m.to_weights();
    w.layers[1].neurons[0].w.push(0.0);
    assert_eq!(
        MLP::from_weights(&w).unwrap_err(),
        ModelError::Field {
            path: "layers[1].neurons[0].w".into(),
            message: "expected 3 weights (the layer's inputs), found 4".into()
        }
    );
    let mut w = m.to_weights();
    w.layers[0].neurons[2].b = f64::NAN;
    assert_eq!(
        MLP::from_weights(&w).unwrap_err().path(),
        Some("layers[0].neurons[2].b")
    );
    let mut w = m.to_weights();
    w.layers[0].neurons.clear();
    assert_eq!(
        MLP::from_weights(&w).unwrap_err().path(),
        Some("layers[0].neurons")
    );
}

#[test]
#[should_panic(expected = "a neuron with 2 weights got 3 inputs")]
fn wrong_input_size_panics_clearly() {
    let m = counting_model();
    m.predict(&[1.0, 2.0, 3.0]);
}

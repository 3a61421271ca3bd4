//! Functions and traced graphs as [argmin](https://docs.rs/argmin) problems (feature `argmin`): the
//! optimizers of the `argmin` crate (L-BFGS, conjugate gradient, trust regions, ...) on any
//! `Fn(&[Value]) -> Value`, with micrograd's gradients.
//!
//! - [`Problem`]: an eager function, differentiated with [`value_and_grad`](crate::value_and_grad)
//!   at every call (the function's Rust control flow runs afresh each time);
//! - [`GraphProblem`]: a [`Graph`], replayed (faster; the control flow frozen at the trace, see
//!   [`Graph`]).
//!
//! Both implement argmin's `CostFunction` and `Gradient` with `Vec<f64>` parameters and an `f64`
//! cost. A NaN parameter, or a replay error, is returned to the solver as an error.
//!
//! ```
//! use argmin::core::{CostFunction, Gradient};
//! use micrograd::argmin::Problem;
//!
//! let p = Problem::new(|x: &[micrograd::Value]| (x[0] - 3.0).pow(2));
//! assert_eq!(p.cost(&vec![1.0]).unwrap(), 4.0);
//! assert_eq!(p.gradient(&vec![1.0]).unwrap(), vec![-4.0]);
//! ```

use crate::{Graph, Value};
use ::argmin::core::{CostFunction, Error, Gradient};
use std::cell::RefCell;

/// An eager function as an argmin problem (see the module documentation).
pub struct Problem<F> {
    f: F,
}

impl<F: Fn(&[Value]) -> Value> Problem<F> {
    /// The problem of minimizing `f`.
    pub fn new(f: F) -> Problem<F> {
        Problem { f }
    }
}

impl<F: Fn(&[Value]) -> Value> CostFunction for Problem<F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        // (forward only: a mark, the function, a rewind)
        let mark = crate::Tape::mark();
        let inputs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
        let v = (self.f)(&inputs).data();
        crate::Tape::rewind(mark);
        Ok(v)
    }
}

impl<F: Fn(&[Value]) -> Value> Gradient for Problem<F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(crate::grad(&self.f, x))
    }
}

/// A traced [`Graph`] as an argmin problem (see the module documentation). argmin's traits take
/// `&self`, so the graph (whose replay writes its own buffers) sits in a `RefCell`.
pub struct GraphProblem<F> {
    graph: RefCell<Graph<F>>,
}

impl<F: Fn(&[Value]) -> Value> GraphProblem<F> {
    /// The problem of minimizing the function `graph` replays.
    pub fn new(graph: Graph<F>) -> GraphProblem<F> {
        GraphProblem {
            graph: RefCell::new(graph),
        }
    }

    /// The graph back.
    pub fn into_inner(self) -> Graph<F> {
        self.graph.into_inner()
    }
}

impl<F: Fn(&[Value]) -> Value> CostFunction for GraphProblem<F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.graph.borrow_mut().value(x)?)
    }
}

impl<F: Fn(&[Value]) -> Value> Gradient for GraphProblem<F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let mut g = vec![0.0; x.len()];
        self.graph.borrow_mut().value_and_grad(x, &mut g)?;
        Ok(g)
    }
}

//! The calculator's functions: the engine's ops that the op table (`engine/ops.rs`) gives a `calc`
//! name, with their names, `Value` methods and plain-number formulas all from the table.

use crate::engine::{Op, Value};

/// From the op table (`engine/ops.rs`): the calculator's functions are the table's ops with a
/// `calc` name, in the table's order.
macro_rules! calculator_functions {
    (
        unary {
            $( $(#[$m:meta])* $U:ident $sym:literal $(fn $method:ident $(calc $name:literal)?)?
               $(draw $draw:literal)? |$x:ident| $f:expr, |$dx:ident, $dy:ident| $d:expr; )*
        }
        $($other_sections:tt)*
    ) => {
        /// A function of the language: one of the engine's ops, by its name in the op table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Function {
            $( $( $(
                #[doc = concat!("`", $name, "(x)`: [`Value::", stringify!($method), "`]")]
                $U,
            )? )? )*
        }

        impl Function {
            /// Each function with its name, its op and its `Value` method, in the table's order
            /// (which is also the order of `Function`'s variants).
            const TABLE: &'static [(Function, &'static str, Op, fn(Value) -> Value)] = &[
                $( $( $( (Function::$U, $name, Op::$U, Value::$method), )? )? )*
            ];
        }
    };
}

crate::engine::op_table!(calculator_functions);

impl Function {
    /// Every function, in the order the documentation lists them.
    pub const ALL: [Function; Function::TABLE.len()] = {
        let mut all = [Function::TABLE[0].0; Function::TABLE.len()];
        let mut k = 1;
        while k < all.len() {
            all[k] = Function::TABLE[k].0;
            k += 1;
        }
        all
    };

    /// The function's name in expressions.
    ///
    /// ```
    /// assert_eq!(micrograd::expr::Function::Sigmoid.name(), "sigmoid");
    /// ```
    pub fn name(self) -> &'static str {
        Function::TABLE[self as usize].1
    }

    /// The function called `name` (exact, lower case), if any.
    ///
    /// ```
    /// use micrograd::expr::Function;
    /// assert_eq!(Function::from_name("tanh"), Some(Function::Tanh));
    /// assert_eq!(Function::from_name("sin"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The engine op the function is.
    pub(crate) fn op(self) -> Op {
        Function::TABLE[self as usize].2
    }

    /// Applies the function to a value, recording it on the tape (same as `x.tanh()` etc.).
    pub fn apply(self, x: Value) -> Value {
        (Function::TABLE[self as usize].3)(x)
    }

    /// The same function on a plain number (the engine op's own formula).
    pub(super) fn apply_f64(self, x: f64) -> f64 {
        self.op().forward_f64(x)
    }
}

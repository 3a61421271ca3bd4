//! The operators on [`Value`]s (`+ - * /`, unary `-`, `+=` and the rest, with `f64` on either side),
//! [`Exponent`] (what [`Value::pow`] accepts), `Sum` and `Product` of iterators, the conversions, and
//! `Display`/`Debug`.

use super::ops::Kind;
use super::value::Value;
use std::fmt;
use std::iter::{Product, Sum};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// What [`Value::pow`] accepts as an exponent: `f64`, `i32` or `Value`.
pub trait Exponent: sealed::Sealed {
    #[doc(hidden)]
    fn pow_of(self, base: Value) -> Value;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for i32 {}
    impl Sealed for super::Value {}
}

impl Exponent for f64 {
    #[inline]
    fn pow_of(self, base: Value) -> Value {
        base.scalar::<{ Kind::PowConst as u8 }>(self)
    }
}

impl Exponent for i32 {
    #[inline]
    fn pow_of(self, base: Value) -> Value {
        base.scalar::<{ Kind::PowConst as u8 }>(self as f64)
    }
}

impl Exponent for Value {
    #[inline]
    fn pow_of(self, base: Value) -> Value {
        base.binary::<{ Kind::Pow as u8 }>(self)
    }
}

impl From<f64> for Value {
    /// A new leaf.
    fn from(x: f64) -> Value {
        Value::new(x)
    }
}

impl Default for Value {
    /// A new leaf holding 0.
    fn default() -> Value {
        Value::new(0.0)
    }
}

impl fmt::Display for Value {
    /// `Value(data=2.0000, grad=0.0000)`, like micrograd; the precision can be set (`{:.2}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = f.precision().unwrap_or(4);
        write!(
            f,
            "Value(data={:.p$}, grad={:.p$})",
            self.data(),
            self.grad()
        )
    }
}

impl fmt::Debug for Value {
    /// Never panics, even for a rewound handle.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_alive() {
            return write!(f, "Value(#{}, rewound)", self.idx());
        }
        write!(
            f,
            "Value(#{}, {:?}, data={:?}, grad={:?})",
            self.idx(),
            self.op(),
            self.data(),
            self.grad()
        )
    }
}

macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident, $op:expr,
     |$v:ident, $c:ident| $with_const:expr, |$c2:ident, $v2:ident| $const_with:expr) => {
        impl $Trait for Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: Value) -> Value {
                self.binary::<{ $op as u8 }>(rhs)
            }
        }
        impl $Trait<f64> for Value {
            type Output = Value;
            #[inline]
            fn $method(self, $c: f64) -> Value {
                let $v = self;
                $with_const
            }
        }
        impl $Trait<Value> for f64 {
            type Output = Value;
            #[inline]
            fn $method(self, $v2: Value) -> Value {
                let $c2 = self;
                $const_with
            }
        }
        impl $Assign for Value {
            #[inline]
            fn $assign(&mut self, rhs: Value) {
                *self = $Trait::$method(*self, rhs);
            }
        }
        impl $Assign<f64> for Value {
            #[inline]
            fn $assign(&mut self, rhs: f64) {
                *self = $Trait::$method(*self, rhs);
            }
        }
    };
}

binary_operator!(
    Add,
    add,
    AddAssign,
    add_assign,
    Kind::Add,
    |v, c| v.scalar::<{ Kind::AddConst as u8 }>(c),
    |c, v| v.scalar::<{ Kind::AddConst as u8 }>(c)
);
binary_operator!(
    Sub,
    sub,
    SubAssign,
    sub_assign,
    Kind::Sub,
    |v, c| v.scalar::<{ Kind::AddConst as u8 }>(-c),
    |c, v| v.scalar::<{ Kind::ConstSub as u8 }>(c)
);
binary_operator!(
    Mul,
    mul,
    MulAssign,
    mul_assign,
    Kind::Mul,
    |v, c| v.scalar::<{ Kind::MulConst as u8 }>(c),
    |c, v| v.scalar::<{ Kind::MulConst as u8 }>(c)
);
binary_operator!(
    Div,
    div,
    DivAssign,
    div_assign,
    Kind::Div,
    |v, c| v.scalar::<{ Kind::DivConst as u8 }>(c),
    |c, v| v.scalar::<{ Kind::ConstDiv as u8 }>(c)
);

impl Neg for Value {
    type Output = Value;
    #[inline]
    fn neg(self) -> Value {
        self.unary::<{ Kind::Neg as u8 }>()
    }
}

impl Sum for Value {
    /// One n-ary [`Op::Sum`](super::Op::Sum) node (see [`Value::sum`]).
    fn sum<I: Iterator<Item = Value>>(iter: I) -> Value {
        Value::sum(iter)
    }
}

impl<'a> Sum<&'a Value> for Value {
    fn sum<I: Iterator<Item = &'a Value>>(iter: I) -> Value {
        Value::sum(iter.copied())
    }
}

impl Product for Value {
    /// `x0 * x1 * ...` as a chain of `*` nodes; an empty product is a leaf holding 1.
    fn product<I: Iterator<Item = Value>>(mut iter: I) -> Value {
        match iter.next() {
            None => Value::new(1.0),
            Some(first) => iter.fold(first, |acc, x| acc * x),
        }
    }
}

impl<'a> Product<&'a Value> for Value {
    fn product<I: Iterator<Item = &'a Value>>(iter: I) -> Value {
        iter.copied().product()
    }
}

"""Optimizers of the Rust crate, with PyTorch's interface: ``opt = Adam(model.parameters(), lr=0.01)``,
then ``opt.zero_grad()``, ``loss.backward()``, ``opt.step()`` every step. ``opt.lr`` is assignable."""

from micrograd._micrograd import SGD, Adam, AdamW

__all__ = ["SGD", "Adam", "AdamW"]

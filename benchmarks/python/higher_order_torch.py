"""PyTorch's values for ddp4j's HigherOrderGradientTest: gradient penalties (double backward) on a
small MLP and a small CNN, in float64, from inputs both sides build the same way
(value i of a tensor is sin(0.37 * i + offset) * scale). Run: python3 higher_order_torch.py"""
import math

import torch
import torch.nn.functional as F

torch.set_printoptions(precision=17)


def filled(shape, offset, scale):
    n = math.prod(shape)
    return torch.tensor([math.sin(0.37 * i + offset) * scale for i in range(n)], dtype=torch.float64).reshape(shape)


def leaf(shape, offset, scale):
    return filled(shape, offset, scale).requires_grad_(True)


def show(name, t):
    print(name, "None" if t is None else ", ".join(repr(v) for v in t.reshape(-1).tolist()))


def mlp_penalty():
    # WGAN-GP: ((|dD/dx| - 1)^2).mean() with D a two-layer tanh MLP
    x = leaf((4, 3), 0.1, 1.0)
    w1, b1 = leaf((5, 3), 0.7, 0.8), leaf((5,), 1.3, 0.5)
    w2, b2 = leaf((1, 5), 2.1, 0.9), leaf((1,), 0.4, 0.3)
    d = F.linear(torch.tanh(F.linear(x, w1, b1)), w2, b2)
    (gx,) = torch.autograd.grad(d.sum(), x, create_graph=True)
    penalty = (gx.pow(2).sum(1).sqrt() - 1).pow(2).mean()
    penalty.backward()
    show("mlp.penalty", penalty.detach())
    for name, t in [("x", x), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)]:
        show("mlp." + name + ".grad", t.grad)


def cnn_penalty():
    # sum of squares of d(loss)/d(input) through conv2d, tanh, max_pool2d, linear and cross entropy
    x = leaf((2, 1, 6, 6), 0.2, 1.0)
    wc, bc = leaf((3, 1, 3, 3), 0.9, 0.6), leaf((3,), 1.7, 0.2)
    w, b = leaf((4, 27), 0.5, 0.3), leaf((4,), 2.5, 0.1)
    targets = torch.tensor([1, 3])
    h = F.max_pool2d(torch.tanh(F.conv2d(x, wc, bc, padding=1)), 2).reshape(2, -1)
    loss = F.cross_entropy(F.linear(h, w, b), targets, label_smoothing=0.1)
    (gx,) = torch.autograd.grad(loss, x, create_graph=True)
    penalty = gx.pow(2).sum()
    penalty.backward()
    show("cnn.penalty", penalty.detach())
    for name, t in [("wc", wc), ("bc", bc), ("w", w), ("b", b)]:
        show("cnn." + name + ".grad", t.grad)


def cube_backward_twice():
    # backward(create_graph=True) then a backward of the gradient: .grad accumulates 3x^2 + 6x
    x = leaf((3,), 0.3, 2.0)
    x.pow(3).sum().backward(create_graph=True)
    show("cube.first", x.grad.detach())
    x.grad.sum().backward()
    show("cube.accumulated", x.grad.detach())


mlp_penalty()
cnn_penalty()
cube_backward_twice()

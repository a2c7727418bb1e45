#!/usr/bin/python3
"""PyTorch twins of the book's chapter-7 code, for numerical parity tests of d2l's TypeScript layers and models.

Usage: parity.py DIR. DIR/cases.json lists cases written by test/torch/harness.ts: a twin kind and its arguments,
an NHWC float32 input, the weights of every leaf layer (conv, dense, batch norm) in tfjs layout, and a tensor R
that defines the loss sum(Y * R). For each case this script builds the twin (bench/torch_twins.py: the book's
PyTorch code, chapter7.md section 2), loads the weights, and writes to DIR/out/<case>/ (float32 raw + index.json),
all converted back to tfjs layout (NHWC, HWIO kernels, [in, out] dense kernels):
  y_eval            forward in prediction mode (net.eval() under torch.no_grad())
  y_train, dx, g<i>_<name>  forward in training mode, and gradients of sum(Y * R) w.r.t. the input and every
                    trainable weight of leaf i
  s<i>_<name>       moving statistics of batch-norm leaf i after that one training forward
The twin runs in float64, so the reference is exact to float32 precision.
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn

# The twins live next to the benchmark that times them (bench/torch_twins.py, shipped with the package), so that
# `d2l bench` measures exactly the models these tests check.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench'))
from torch_twins import BatchNorm, build  # noqa: E402 (needs the path above)


# ---- layout conversion between tfjs (NHWC, HWIO, [in, out]) and PyTorch (NCHW, OIHW, [out, in]) ----------------

def leaves(net):
    return [m for m in net.modules()
            if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.BatchNorm1d, BatchNorm))]


def dense_to_torch(w, flatten_from):
    # tfjs flattens NHWC in (h, w, c) order, PyTorch NCHW in (c, h, w) order: permute the kernel's rows
    if flatten_from:
        h, wd, c = flatten_from
        return w.reshape(h, wd, c, -1).transpose(3, 2, 0, 1).reshape(w.shape[1], -1)
    return w.T


def dense_from_torch(g, flatten_from):
    if flatten_from:
        h, wd, c = flatten_from
        return g.reshape(-1, c, h, wd).transpose(2, 3, 1, 0).reshape(h * wd * c, -1)
    return g.T


def to_nhwc(t):
    a = t.detach().cpu().numpy()
    return a.transpose(0, 2, 3, 1) if a.ndim == 4 else a


def load_leaf(m, leaf, arrays):
    kind, names = leaf['kind'], leaf['names']
    with torch.no_grad():
        if kind == 'conv':
            m.weight.copy_(torch.from_numpy(arrays['kernel'].transpose(3, 2, 0, 1).copy()))
            m.bias.copy_(torch.from_numpy(arrays['bias']))
        elif kind == 'dense':
            m.weight.copy_(torch.from_numpy(dense_to_torch(arrays['kernel'], leaf.get('flattenFrom')).copy()))
            m.bias.copy_(torch.from_numpy(arrays['bias']))
        elif kind == 'bn':
            m.weight.copy_(torch.from_numpy(arrays['gamma']))
            m.bias.copy_(torch.from_numpy(arrays['beta']))
            m.running_mean.copy_(torch.from_numpy(arrays['moving_mean']))
            m.running_var.copy_(torch.from_numpy(arrays['moving_variance']))
        elif kind == 'sbn':
            shape = m.gamma.shape
            m.gamma.copy_(torch.from_numpy(arrays['gamma'].reshape(shape)))
            m.beta.copy_(torch.from_numpy(arrays['beta'].reshape(shape)))
            m.moving_mean = torch.from_numpy(arrays['moving_mean'].reshape(shape).copy())
            m.moving_var = torch.from_numpy(arrays['moving_var'].reshape(shape).copy())
        else:
            raise ValueError(f'unknown leaf kind {kind} ({names})')


def leaf_grads(m, leaf):
    """Gradients of the leaf's trainable weights, in tfjs layout and tfjs names."""
    kind = leaf['kind']
    if kind == 'conv':
        return {'kernel': m.weight.grad.numpy().transpose(2, 3, 1, 0), 'bias': m.bias.grad.numpy()}
    if kind == 'dense':
        return {'kernel': dense_from_torch(m.weight.grad.numpy(), leaf.get('flattenFrom')), 'bias': m.bias.grad.numpy()}
    if kind == 'bn':
        return {'gamma': m.weight.grad.numpy(), 'beta': m.bias.grad.numpy()}
    return {'gamma': m.gamma.grad.numpy(), 'beta': m.beta.grad.numpy()}


def leaf_stats(m, leaf, batch_count):
    """Moving statistics after the training forward, in tfjs layout. PyTorch's nn.BatchNorm updates running_var
    with the unbiased batch variance, tfjs with the biased one: convert PyTorch's update to the biased one."""
    kind = leaf['kind']
    if kind == 'sbn':
        return {'moving_mean': m.moving_mean.numpy().reshape(-1), 'moving_var': m.moving_var.numpy().reshape(-1)}
    if kind == 'bn':
        n = batch_count[id(m)]
        old = leaf['old_var']
        unbiased = (m.running_var.numpy() - (1 - m.momentum) * old) / m.momentum
        return {'moving_mean': m.running_mean.numpy(),
                'moving_variance': (1 - m.momentum) * old + m.momentum * unbiased * (n - 1) / n}
    return {}


def run_case(root, case):
    c = case['inputShape'][-1]
    torch.manual_seed(0)
    net = build(case['kind'], case.get('args', {}), c).double()
    x_nhwc = np.fromfile(os.path.join(root, case['input']), dtype=np.float32).reshape(case['inputShape'])
    x_np = x_nhwc.transpose(0, 3, 1, 2) if x_nhwc.ndim == 4 else x_nhwc
    X = torch.from_numpy(x_np.astype(np.float64).copy())
    with torch.no_grad():  # materializes LazyLinear layers before loading weights
        net.eval()
        net(X)
    mods = leaves(net)
    if len(mods) != len(case['leaves']):
        raise RuntimeError(f"{case['id']}: twin has {len(mods)} leaf layers, tfjs {len(case['leaves'])}")
    for m, leaf in zip(mods, case['leaves']):
        arrays = {name: np.fromfile(os.path.join(root, f), dtype=np.float32).reshape(shape).astype(np.float64)
                  for name, f, shape in zip(leaf['names'], leaf['files'], leaf['shapes'])}
        load_leaf(m, leaf, arrays)
        if leaf['kind'] == 'bn':
            leaf['old_var'] = arrays['moving_variance']
    out = {}
    if 'eval' in case['modes']:
        net.eval()
        with torch.no_grad():
            out['y_eval'] = to_nhwc(net(X))
    if 'train' in case['modes'] or 'evalgrad' in case['modes']:
        training = 'train' in case['modes']
        net.train(training)
        batch_count = {}
        hooks = [m.register_forward_pre_hook(
            lambda mod, inp: batch_count.__setitem__(id(mod), inp[0].numel() // inp[0].shape[1]))
            for m in mods if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
        Xg = X.clone().requires_grad_(True)
        Y = net(Xg)
        for h in hooks:
            h.remove()
        R = np.fromfile(os.path.join(root, case['r']), dtype=np.float32).reshape(case['outputShape'])
        R = torch.from_numpy((R.transpose(0, 3, 1, 2) if R.ndim == 4 else R).astype(np.float64).copy())
        (Y * R).sum().backward()
        out['y_train' if training else 'y_evalgrad'] = to_nhwc(Y)
        out['dx'] = to_nhwc(Xg.grad)
        for i, (m, leaf) in enumerate(zip(mods, case['leaves'])):
            for name, g in leaf_grads(m, leaf).items():
                out[f'g{i}_{name}'] = g
            if training:
                for name, s in leaf_stats(m, leaf, batch_count).items():
                    out[f's{i}_{name}'] = s
    dest = os.path.join(root, 'out', case['id'])
    os.makedirs(dest, exist_ok=True)
    index = {}
    for name, a in out.items():
        a = np.ascontiguousarray(a, dtype=np.float32)
        a.tofile(os.path.join(dest, name + '.bin'))
        index[name] = list(a.shape)
    with open(os.path.join(dest, 'index.json'), 'w') as f:
        json.dump(index, f)


def main():
    root = sys.argv[1]
    torch.set_num_threads(1)
    with open(os.path.join(root, 'cases.json')) as f:
        cases = json.load(f)
    only = set(sys.argv[2:])
    for case in cases:
        if not only or case['id'] in only:
            run_case(root, case)
    print('ok', len(cases))


if __name__ == '__main__':
    main()
